#pragma once

#include <fmt/format.h>

// Invariant checks that stay on in release builds. A broken invariant is a
// bug: log where and why, then abort, so the core shows the state. Expected
// failures (bad input, a peer that went away) are values, never vassert.

namespace base::detail {
[[noreturn]] void assert_failed(const char* file, int line, const char* cond,
                                const std::string& message);
} // namespace base::detail

// Clang 14 with libstdc++ 12 has no usable std::source_location, so the
// location is captured by the macro.
#define vassert(cond, fmtstr, ...)                                                       \
    do {                                                                                 \
        if (__builtin_expect(!(cond), 0)) [[unlikely]] {                                 \
            ::base::detail::assert_failed(                                               \
                __FILE__, __LINE__, #cond,                                               \
                ::fmt::format(fmtstr __VA_OPT__(, ) __VA_ARGS__));                       \
        }                                                                                \
    } while (0)

#define vunreachable(fmtstr, ...)                                                        \
    ::base::detail::assert_failed(__FILE__, __LINE__, "unreachable",                     \
                                  ::fmt::format(fmtstr __VA_OPT__(, ) __VA_ARGS__))
