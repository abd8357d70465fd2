#pragma once

#include "config/errc.h"
#include "config/property.h"

#include <map>
#include <string>
#include <string_view>

namespace config {

// Validates a value for a property: kind, bounds, allowed values and the
// property's own check. The error message names the property.
result<value> parse_value(const property_definition& def, std::string_view text);
result<value> parse_value(const property_definition& def, const string_list& items);
result<void> validate(const property_definition& def, const value& v);

// Values of the properties of one or more scopes; a property never set
// reads as its default.
class property_set {
public:
    explicit property_set(std::vector<scope> scopes)
      : _scopes(std::move(scopes)) {}

    // By name, from text (a flag or a config file): unknown names, names of
    // another scope and invalid values are errors that name the property.
    result<void> set(std::string_view name, std::string_view text);
    result<void> set(std::string_view name, const string_list& items);
    result<void> set(const property_definition& def, value v);

    template<typename T>
    const T& get(const property<T>& p) const {
        return std::get<T>(get(p.definition));
    }
    const value& get(const property_definition& def) const;
    bool is_set(const property_definition& def) const;

private:
    result<const property_definition*> lookup(std::string_view name) const;

    std::vector<scope> _scopes;
    std::map<std::string, value, std::less<>> _values;
};

} // namespace config
