#include "config/property_set.h"

#include "config/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace config {
namespace {

base::error<errc> invalid(const property_definition& def, std::string_view text,
                          std::string_view why) {
    return base::make_error(
        errc::invalid_value,
        fmt::format("invalid value '{}' for property '{}': {}", text, def.name, why));
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

result<value> parse_value(const property_definition& def, std::string_view text) {
    value v;
    switch (def.kind) {
        case value_kind::boolean:
            if (text == "true") {
                v = true;
            } else if (text == "false") {
                v = false;
            } else {
                return invalid(def, text, "expected true or false");
            }
            break;
        case value_kind::integer: {
            int64_t i = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
            if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
                return invalid(def, text, "expected an integer");
            }
            v = i;
            break;
        }
        case value_kind::decimal: {
            double d = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
            if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
                return invalid(def, text, "expected a number");
            }
            v = std::string(text);
            break;
        }
        case value_kind::string:
            v = std::string(text);
            break;
        case value_kind::string_list: {
            string_list items;
            size_t start = 0;
            while (start <= text.size() && !text.empty()) {
                size_t comma = std::min(text.find(',', start), text.size());
                items.emplace_back(trim(text.substr(start, comma - start)));
                start = comma + 1;
            }
            return parse_value(def, items);
        }
    }
    if (auto ok = validate(def, v); !ok) {
        return ok.error_value();
    }
    return v;
}

result<value> parse_value(const property_definition& def, const string_list& items) {
    if (def.kind != value_kind::string_list) {
        return invalid(def, fmt::format("{}", fmt::join(items, ",")),
                       "expected one value, not a list");
    }
    value v = items;
    if (auto ok = validate(def, v); !ok) {
        return ok.error_value();
    }
    return v;
}

result<void> validate(const property_definition& def, const value& v) {
    auto text = format_value(v);
    if (v.index() != def.default_value.index()) {
        return invalid(def, text, fmt::format("expected a {}", to_string(def.kind)));
    }
    if (const auto* i = std::get_if<int64_t>(&v)) {
        if (def.min && *i < *def.min) {
            return invalid(def, text, fmt::format("below the minimum {}", *def.min));
        }
        if (def.max && *i > *def.max) {
            return invalid(def, text, fmt::format("above the maximum {}", *def.max));
        }
    }
    if (!def.allowed.empty()) {
        auto allowed = [&](std::string_view s) {
            return std::find(def.allowed.begin(), def.allowed.end(), s)
                != def.allowed.end();
        };
        auto why = fmt::format("expected one of {}", fmt::join(def.allowed, ", "));
        if (const auto* s = std::get_if<std::string>(&v); s && !allowed(*s)) {
            return invalid(def, text, why);
        }
        if (const auto* l = std::get_if<string_list>(&v)) {
            if (l->empty() || !std::all_of(l->begin(), l->end(), allowed)) {
                return invalid(def, text, why);
            }
        }
    }
    if (def.check) {
        if (auto why = def.check(v)) {
            return invalid(def, text, *why);
        }
    }
    return base::ok;
}

result<const property_definition*> property_set::lookup(std::string_view name) const {
    // A node's config also sets topic defaults, by the names Kafka's brokers
    // give them (log.segment.bytes), as in server.properties.
    bool node = std::find(_scopes.begin(), _scopes.end(), scope::node) != _scopes.end();
    const auto* def = node ? find_node_property(name) : find_property(name);
    if (!def) {
        return base::make_error(errc::unknown_property,
                                fmt::format("unknown property '{}'", name));
    }
    bool by_broker_name = !def->broker_name.empty() && def->broker_name == name;
    if (!by_broker_name
        && std::find(_scopes.begin(), _scopes.end(), def->scope) == _scopes.end()) {
        return base::make_error(
            errc::wrong_scope,
            fmt::format("property '{}' is a {} property and cannot be set here", name,
                        to_string(def->scope)));
    }
    return def;
}

result<void> property_set::set(std::string_view name, std::string_view text) {
    auto def = lookup(name);
    if (!def) {
        return def.error_value();
    }
    auto v = parse_value(**def, text);
    if (!v) {
        return v.error_value();
    }
    return set(**def, std::move(*v));
}

result<void> property_set::set(std::string_view name, const string_list& items) {
    auto def = lookup(name);
    if (!def) {
        return def.error_value();
    }
    auto v = parse_value(**def, items);
    if (!v) {
        return v.error_value();
    }
    return set(**def, std::move(*v));
}

result<void> property_set::set(const property_definition& def, value v) {
    if (auto ok = validate(def, v); !ok) {
        return ok;
    }
    _values.insert_or_assign(std::string(def.name), std::move(v));
    return base::ok;
}

const value& property_set::get(const property_definition& def) const {
    auto it = _values.find(def.name);
    return it == _values.end() ? def.default_value : it->second;
}

bool property_set::is_set(const property_definition& def) const {
    return _values.contains(def.name);
}

} // namespace config
