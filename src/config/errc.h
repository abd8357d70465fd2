#pragma once

#include "base/result.h"

namespace config {

enum class errc {
    unknown_property,
    wrong_scope,
    invalid_value,
    unreadable_file,
    bad_command_line,
};

template<typename T>
using result = base::result<T, errc>;

} // namespace config
