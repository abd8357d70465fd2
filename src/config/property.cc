#include "config/property.h"

#include <fmt/format.h>

namespace config {

std::string_view to_string(scope s) {
    switch (s) {
        case scope::node:
            return "node";
        case scope::cluster:
            return "cluster";
        case scope::topic:
            return "topic";
    }
    return "?";
}

std::string_view to_string(value_kind k) {
    switch (k) {
        case value_kind::boolean:
            return "boolean";
        case value_kind::integer:
            return "integer";
        case value_kind::decimal:
            return "decimal";
        case value_kind::string:
            return "string";
        case value_kind::string_list:
            return "list";
    }
    return "?";
}

std::string format_value(const value& v) {
    struct visitor {
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(int64_t i) const { return std::to_string(i); }
        std::string operator()(const std::string& s) const { return s; }
        std::string operator()(const string_list& l) const {
            return fmt::format("{}", fmt::join(l, ","));
        }
    };
    return std::visit(visitor{}, v);
}

} // namespace config
