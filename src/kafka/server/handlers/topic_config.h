#pragma once

#include "cluster/topic_table.h"
#include "config/property_set.h"
#include "kafka/server/backend.h"

#include <string>

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

} // namespace kafka::handlers
