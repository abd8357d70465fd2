#include "kafka/server/handlers/topic_config.h"

#include "config/registry.h"

#include <limits>

namespace kafka::handlers {
namespace {

// Kafka's config type codes.
constexpr int8_t boolean_type = 1;
constexpr int8_t string_type = 2;
constexpr int8_t int_type = 3;
constexpr int8_t long_type = 5;
constexpr int8_t double_type = 6;
constexpr int8_t list_type = 7;

} // namespace

int8_t config_type(const config::property_definition& def) {
    switch (def.kind) {
        case config::value_kind::boolean:
            return boolean_type;
        case config::value_kind::integer:
            return def.max && *def.max <= std::numeric_limits<int32_t>::max() ? int_type
                                                                              : long_type;
        case config::value_kind::decimal:
            return double_type;
        case config::value_kind::string:
            return string_type;
        case config::value_kind::string_list:
            return list_type;
    }
    return 0;
}

topic_config_entry broker_config_entry(const config::property_set& node,
                                       const config::property_definition& def) {
    return {&def, config::format_value(node.get(def)),
            node.is_set(def) ? config_source::static_broker
                             : config_source::default_value};
}

std::vector<topic_config_entry> topic_config_entries(
    const backend& node, const cluster::topic_metadata& topic) {
    std::vector<topic_config_entry> out;
    for (const auto* def : config::all_properties()) {
        if (def->scope != config::scope::topic) {
            continue;
        }
        if (auto it = topic.configs.find(std::string(def->name));
            it != topic.configs.end()) {
            out.push_back({def, it->second, config_source::dynamic_topic});
            continue;
        }
        auto entry =
            broker_config_entry(*node.node_config, config::broker_default_of(*def));
        entry.def = def;
        out.push_back(std::move(entry));
    }
    return out;
}

std::string_view broker_name(const config::property_definition& def) {
    return def.broker_name.empty() ? def.name : def.broker_name;
}

std::vector<config_synonym> broker_config_synonyms(
    const config::property_set& node, const config::property_definition& def) {
    std::vector<config_synonym> out;
    auto name = std::string(broker_name(def));
    if (node.is_set(def)) {
        out.push_back(
            {name, config::format_value(node.get(def)), config_source::static_broker});
    }
    // Kafka keeps the defaults of retention.ms and segment.ms in hours
    // (log.retention.hours, log.roll.hours) and has none for flush.ms: it
    // lists no default synonym for them.
    if (def.broker_name != "log.retention.ms" && def.broker_name != "log.roll.ms"
        && def.broker_name != "log.flush.interval.ms") {
        out.push_back({name, config::format_value(def.default_value),
                       config_source::default_value});
    }
    return out;
}

std::vector<config_synonym> topic_config_synonyms(const config::property_set& node,
                                                  const topic_config_entry& entry) {
    std::vector<config_synonym> out;
    if (entry.source == config_source::dynamic_topic) {
        out.push_back({std::string(entry.def->name), entry.value, entry.source});
    }
    if (entry.def->broker_name.empty()) {
        return out; // a topic-only property: no broker-wide default
    }
    auto broker = broker_config_synonyms(node, config::broker_default_of(*entry.def));
    out.insert(out.end(), broker.begin(), broker.end());
    return out;
}

} // namespace kafka::handlers
