#include "base/vassert.h"

#include <cstdio>
#include <cstdlib>

namespace base::detail {

void assert_failed(const char* file, int line, const char* cond,
                   const std::string& message) {
    // stdio, not the logger: the logger itself may be what broke.
    std::fprintf(stderr, "assertion failed at %s:%d: (%s) %s\n", file, line, cond,
                 message.c_str());
    std::fflush(stderr);
    std::abort();
}

} // namespace base::detail
