#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace config {

// Where a property lives: in a node's own file, replicated for the whole
// cluster (through the controller, once it exists), or set per topic.
enum class scope { node, cluster, topic };
std::string_view to_string(scope s);

// A decimal (min.cleanable.dirty.ratio) is kept as its text, checked to parse.
enum class value_kind { boolean, integer, decimal, string, string_list };
std::string_view to_string(value_kind k);

using string_list = std::vector<std::string>;
using value = std::variant<bool, int64_t, std::string, string_list>;

// Extra validation beyond kind, bounds and allowed values: returns a reason
// when the value is not acceptable.
using validator = std::function<std::optional<std::string>(const value&)>;

// One entry of the registry: everything a reader of `--help`, a
// DescribeConfigs answer or a config file needs to know about a property.
struct property_definition {
    std::string_view name; // Kafka's name wherever Kafka has the property
    // For a topic property, the name Kafka's brokers give its broker-wide
    // default (log.segment.bytes for segment.bytes, or the same name): a
    // node's config sets the default by it, and DescribeConfigs shows it for
    // brokers and among a topic config's synonyms.
    std::string_view broker_name{};
    value_kind kind;
    config::scope scope;
    bool needs_restart;
    std::string_view documentation;
    value default_value;
    std::optional<int64_t> min{};
    std::optional<int64_t> max{};
    std::vector<std::string_view> allowed{}; // for enumerated strings/lists
    validator check{};
};

// A typed handle on a registered property, so that reading one cannot
// confuse its type: `values.get(properties::node_id)` is an int64_t.
template<typename T>
struct property {
    const property_definition& definition;
};

std::string format_value(const value& v);

} // namespace config
