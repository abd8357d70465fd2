#pragma once

#include "cluster/topic_table.h"
#include "config/property_set.h"
#include "kafka/server/backend.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kafka::handlers {

// A topic's value of a topic-scope property: the topic's own setting, else
// the broker's (which is the default unless the node's config sets it).
template<typename T>
T topic_value(const backend& node, const cluster::topic_metadata& topic,
              const config::property<T>& p) {
    if (auto it = topic.configs.find(std::string(p.definition.name));
        it != topic.configs.end()) {
        // Validated when it was set; a value that no longer parses (a rule
        // tightened since) falls back to the broker's.
        if (auto v = config::parse_value(p.definition, it->second)) {
            return std::get<T>(*v);
        }
    }
    return node.node_config->get(p);
}

// Kafka's config sources, as DescribeConfigs and CreateTopics answer them.
namespace config_source {
constexpr int8_t dynamic_topic = 1;
constexpr int8_t static_broker = 4;
constexpr int8_t default_value = 5;
} // namespace config_source

// Kafka's type of a config (DescribeConfigs v3+): an integer that fits 32
// bits is an INT there (segment.bytes, max.message.bytes), a wider one a
// LONG (retention.ms).
int8_t config_type(const config::property_definition& def);

// One topic-scope property of a topic: its value and where it came from.
struct topic_config_entry {
    const config::property_definition* def;
    std::string value;
    int8_t source;
};

// Every topic-scope property of a topic, in the registry's order.
std::vector<topic_config_entry> topic_config_entries(
    const backend& node, const cluster::topic_metadata& topic);

// The broker's value of a property, and where it came from.
topic_config_entry broker_config_entry(const config::property_set& node,
                                       const config::property_definition& def);

// The name a broker-wide property goes by in Kafka (log.segment.bytes).
std::string_view broker_name(const config::property_definition& def);

// One of the values a config could take its value from, as DescribeConfigs
// lists them (v1+).
struct config_synonym {
    std::string name;
    std::string value;
    int8_t source;
};

// A topic config's synonyms, most specific first, as Kafka lists them: the
// topic's own value, the broker's setting, the broker's default.
std::vector<config_synonym> topic_config_synonyms(const config::property_set& node,
                                                  const topic_config_entry& entry);

// A broker config's synonyms: the node's setting, then the default.
std::vector<config_synonym> broker_config_synonyms(
    const config::property_set& node, const config::property_definition& def);

} // namespace kafka::handlers
