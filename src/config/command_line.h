#pragma once

#include "config/errc.h"
#include "config/property_set.h"

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace config {

// What a node's command line says: an optional config file, property
// values that override it, and the informational flags.
struct command_line {
    std::optional<std::string> config_path;
    std::vector<std::pair<std::string, std::string>> overrides;
    bool help{false};
    bool version{false};
};

result<command_line> parse_command_line(std::span<const std::string_view> args);

// The node's properties (node and cluster scope, the latter as this node's
// initial values): defaults, then the YAML file, then the flags.
result<property_set> load_node_config(const command_line& cmd);

// `atolld --help`: the flags, then every property a node file may set.
std::string node_help_text(std::string_view program);

} // namespace config
