#include "config/config_file.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace config {
namespace {

result<void> load_node(const YAML::Node& root, property_set& values) {
    if (root.IsNull()) {
        return base::ok; // an empty file sets nothing
    }
    if (!root.IsMap()) {
        return base::make_error(errc::invalid_value,
                                "expected a map of property names to values");
    }
    for (const auto& entry : root) {
        auto name = entry.first.as<std::string>();
        const auto& node = entry.second;
        result<void> r = base::ok;
        if (node.IsScalar()) {
            r = values.set(name, node.Scalar());
        } else if (node.IsSequence()) {
            string_list items;
            for (const auto& item : node) {
                if (!item.IsScalar()) {
                    return base::make_error(
                        errc::invalid_value,
                        fmt::format("property '{}': list items must be scalars", name));
                }
                items.push_back(item.Scalar());
            }
            r = values.set(name, items);
        } else {
            return base::make_error(
                errc::invalid_value,
                fmt::format("property '{}': expected a value or a list", name));
        }
        if (!r) {
            return r;
        }
    }
    return base::ok;
}

} // namespace

result<void> load_yaml_text(std::string_view text, property_set& values) {
    try {
        return load_node(YAML::Load(std::string(text)), values);
    } catch (const YAML::Exception& e) {
        return base::make_error(errc::invalid_value, e.what());
    }
}

result<void> load_yaml_file(const std::string& path, property_set& values) {
    std::ifstream in(path);
    if (!in) {
        return base::make_error(errc::unreadable_file,
                                fmt::format("cannot read config file '{}'", path));
    }
    std::stringstream text;
    text << in.rdbuf();
    auto r = load_yaml_text(text.str(), values);
    if (!r) {
        return base::make_error(r.code(), fmt::format("{}: {}", path, r.message()));
    }
    return base::ok;
}

} // namespace config
