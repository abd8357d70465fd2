#pragma once

#include "config/property.h"

#include <span>

namespace config {

// The one registry of properties. Every feature adds its properties to
// properties.cc; nothing else defines one.
std::span<const property_definition* const> all_properties();
const property_definition* find_property(std::string_view name);

} // namespace config
