#include "config/command_line.h"

#include "config/config_file.h"
#include "config/properties.h"
#include "config/registry.h"

#include <fmt/format.h>

namespace config {
namespace {

// A flag that sets one property. Flags name properties by what people
// type; the property names stay Kafka's.
struct property_flag {
    std::string_view flag;
    std::string_view alias;
    const property_definition& property;
    std::string_view metavar;
    // The value the property gets from the flag's argument.
    std::string (*to_property)(std::string_view arg);
};

std::string same(std::string_view arg) {
    return std::string(arg);
}

std::string as_listener(std::string_view arg) {
    if (arg.find("://") != arg.npos) {
        return std::string(arg);
    }
    return fmt::format("PLAINTEXT://{}", arg);
}

const property_flag property_flags[] = {
    {"--data-dir", "", properties::log_dir.definition, "DIR", same},
    {"--kafka-addr", "", properties::listeners.definition, "HOST:PORT", as_listener},
    {"--advertise-kafka-addr", "", properties::advertised_listeners.definition,
     "HOST:PORT", as_listener},
    {"--rpc-addr", "", properties::rpc_listener.definition, "HOST:PORT", same},
    {"--advertise-rpc-addr", "", properties::advertised_rpc_listener.definition,
     "HOST:PORT", same},
    {"--seeds", "", properties::controller_quorum_voters.definition, "ID@HOST:PORT,...",
     same},
    {"--node-id", "", properties::node_id.definition, "N", same},
    {"--smp", "--cores", properties::smp.definition, "N", same},
    {"--log-level", "", properties::log_level.definition, "LEVEL", same},
};

const property_flag* find_flag(std::string_view name) {
    for (const auto& f : property_flags) {
        if (f.flag == name || (!f.alias.empty() && f.alias == name)) {
            return &f;
        }
    }
    return nullptr;
}

base::error<errc> bad(std::string message) {
    return base::make_error(errc::bad_command_line, std::move(message));
}

} // namespace

result<command_line> parse_command_line(std::span<const std::string_view> args) {
    command_line cmd;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::optional<std::string_view> inline_value;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != arg.npos) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        auto take_value = [&]() -> std::optional<std::string_view> {
            if (inline_value) {
                return inline_value;
            }
            if (i + 1 < args.size()) {
                return args[++i];
            }
            return std::nullopt;
        };
        if (arg == "--help" || arg == "-h") {
            cmd.help = true;
        } else if (arg == "--version") {
            cmd.version = true;
        } else if (arg == "--no-pin") {
            cmd.overrides.emplace_back("pin.shards", "false");
        } else if (arg == "--config") {
            auto v = take_value();
            if (!v) {
                return bad("--config needs a file name");
            }
            cmd.config_path = std::string(*v);
        } else if (arg == "--set") {
            auto v = take_value();
            auto eq = v ? v->find('=') : std::string_view::npos;
            if (!v || eq == std::string_view::npos || eq == 0) {
                return bad("--set needs NAME=VALUE");
            }
            cmd.overrides.emplace_back(v->substr(0, eq), v->substr(eq + 1));
        } else if (const auto* f = find_flag(arg)) {
            auto v = take_value();
            if (!v) {
                return bad(fmt::format("{} needs a value ({})", f->flag, f->metavar));
            }
            cmd.overrides.emplace_back(f->property.name, f->to_property(*v));
        } else {
            return bad(fmt::format("unknown argument '{}' (see --help)", args[i]));
        }
    }
    return cmd;
}

result<property_set> load_node_config(const command_line& cmd) {
    property_set values({scope::node, scope::cluster});
    if (cmd.config_path) {
        if (auto r = load_yaml_file(*cmd.config_path, values); !r) {
            return r.error_value();
        }
    }
    for (const auto& [name, text] : cmd.overrides) {
        if (auto r = values.set(name, text); !r) {
            return r.error_value();
        }
    }
    return values;
}

std::string node_help_text(std::string_view program) {
    std::string out =
        fmt::format("Usage: {} [options]\n\n"
                    "Atoll's data-plane node: a Kafka-API broker.\n\n"
                    "Options (each overrides the config file):\n"
                    "  --config FILE                YAML file of property: value lines\n",
                    program);
    for (const auto& f : property_flags) {
        auto left = fmt::format("{} {}", f.flag, f.metavar);
        if (!f.alias.empty()) {
            left = fmt::format("{}, {} {}", f.flag, f.alias, f.metavar);
        }
        out += fmt::format("  {:<28} sets {}\n", left, f.property.name);
    }
    out += fmt::format("  {:<28} sets pin.shards=false\n"
                       "  {:<28} sets any node or cluster property\n"
                       "  {:<28} this text\n"
                       "  {:<28} the version\n\n"
                       "Properties (name, type, default, scope):\n",
                       "--no-pin", "--set NAME=VALUE", "--help", "--version");
    for (const auto* def : all_properties()) {
        if (def->scope == scope::topic) {
            continue;
        }
        out += fmt::format(
            "  {} ({}, default '{}', {}{})\n      {}\n", def->name, to_string(def->kind),
            format_value(def->default_value), to_string(def->scope),
            def->needs_restart ? ", needs restart" : "", def->documentation);
    }
    out += "\nTopic properties (a topic without its own value takes the node's,\n"
           "which a node's config sets by the name after 'or', or by the same\n"
           "name where there is none, as Kafka's brokers do):\n";
    for (const auto* def : all_properties()) {
        if (def->scope != scope::topic) {
            continue;
        }
        if (&broker_default_of(*def) != def) {
            out +=
                fmt::format("  {} ({}, the node's {})\n      {}\n", def->name,
                            to_string(def->kind), def->broker_name, def->documentation);
            continue;
        }
        out += fmt::format("  {}{} ({}, default '{}')\n      {}\n", def->name,
                           def->broker_name.empty() || def->broker_name == def->name
                               ? ""
                               : fmt::format(" or {}", def->broker_name),
                           to_string(def->kind), format_value(def->default_value),
                           def->documentation);
    }
    return out;
}

} // namespace config
