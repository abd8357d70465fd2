#pragma once

#include "config/errc.h"
#include "config/property_set.h"

#include <string>

namespace config {

// Reads a node's YAML file into `values`: a map of property names to
// scalars (or sequences, for list properties). Unknown names, names of a
// scope `values` does not hold, and invalid values are errors that name the
// property and the file.
result<void> load_yaml_file(const std::string& path, property_set& values);
result<void> load_yaml_text(std::string_view text, property_set& values);

} // namespace config
