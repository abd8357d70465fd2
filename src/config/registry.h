#pragma once

#include "config/property.h"

#include <span>

namespace config {

// The one registry of properties. Every feature adds its properties to
// properties.cc; nothing else defines one.
std::span<const property_definition* const> all_properties();
const property_definition* find_property(std::string_view name);

// A property as a node's config names it: by its name, or, for a topic
// property, by the broker-wide name Kafka gives its default
// (log.segment.bytes).
const property_definition* find_node_property(std::string_view name);

// Where a topic property's broker-wide default lives: the property Kafka
// names by its broker_name when one exists (message.max.bytes for
// max.message.bytes), else the topic property itself.
const property_definition& broker_default_of(const property_definition& topic_def);

} // namespace config
