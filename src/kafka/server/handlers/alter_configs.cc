#include "kafka/protocol/messages/alter_configs.h"
#include "cluster/controller.h"
#include "cluster/topic_table.h"
#include "config/property_set.h"
#include "config/registry.h"
#include "kafka/protocol/error_code.h"
#include "kafka/protocol/messages/incremental_alter_configs.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/topic_creation.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <sstream>

namespace kafka::handlers {
namespace {

constexpr int8_t topic_resource = 2;
constexpr int8_t broker_resource = 4;

// IncrementalAlterConfigs' operations.
enum class config_op : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };

using config_map = std::map<std::string, std::string>;

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (!item.empty()) {
            out.push_back(item);
        }
    }
    return out;
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : ",") + i;
    }
    return out;
}

// A config's value as the topic has it: its own, or the broker's.
std::string current_value(const backend& node, const config_map& configs,
                          const std::string& name) {
    if (auto it = configs.find(name); it != configs.end()) {
        return it->second;
    }
    const auto* def = config::find_property(name);
    if (def == nullptr || node.node_config == nullptr) {
        return {};
    }
    return config::format_value(node.node_config->get(*def));
}

struct outcome {
    error_code code{error_code::none};
    std::string message;
};

// Checks the new explicit configs of a topic and, unless validate_only,
// stores them through the controller.
runtime::awaitable<outcome> store(backend& node, const std::string& topic,
                                  config_map configs, bool validate_only) {
    for (const auto& [k, v] : configs) {
        if (auto why = invalid_topic_config(k, v)) {
            co_return outcome{error_code::invalid_config, *why};
        }
    }
    if (validate_only) {
        co_return outcome{};
    }
    auto* ctl = node.controller;
    auto task = runtime::submit_to(
        runtime::shard_id(0), [ctl, topic, configs = std::move(configs)]() mutable {
            return ctl->set_topic_configs(topic, std::move(configs));
        });
    auto e = co_await std::move(task);
    co_return outcome{to_error_code(e), {}};
}

// What a resource other than an existing topic gets.
std::optional<outcome> refuse(const backend& node, int8_t type, const std::string& name) {
    if (type == broker_resource) {
        return outcome{error_code::invalid_request,
                       "broker configs are read from the node's config file; "
                       "changing them at run time is not supported"};
    }
    if (type != topic_resource) {
        return outcome{error_code::invalid_request,
                       fmt::format("unsupported resource type {}", type)};
    }
    if (node.topics->find(name) == nullptr) {
        return outcome{error_code::unknown_topic_or_partition,
                       fmt::format("topic '{}' does not exist", name)};
    }
    return std::nullopt;
}

// Kafka's checks of a resource's operations before any is applied: each key
// once, and appending or subtracting only on list configs.
template<typename Configs>
std::optional<outcome> check_operations(const Configs& ops) {
    std::set<std::string_view> seen;
    for (const auto& c : ops) {
        if (!seen.insert(c.name).second) {
            return outcome{error_code::invalid_request,
                           fmt::format("Error due to duplicate config keys: {}", c.name)};
        }
    }
    for (const auto& c : ops) {
        auto op = static_cast<config_op>(c.config_operation);
        if (op != config_op::append && op != config_op::subtract) {
            continue;
        }
        const auto* def = config::find_property(c.name);
        if (def != nullptr && def->kind != config::value_kind::string_list) {
            return outcome{
                error_code::invalid_config,
                fmt::format("Config value {} is not allowed for config key: {}",
                            op == config_op::append ? "append" : "subtract", c.name)};
        }
    }
    return std::nullopt;
}

// The answer for one resource: its error, and the reason when refused.
template<typename Response>
void answer(Response& out, const outcome& o) {
    out.error_code = static_cast<int16_t>(o.code);
    if (!o.message.empty()) {
        out.error_message = o.message;
    }
}

} // namespace

// AlterConfigs: the configs given replace the topic's explicit ones; those
// not given go back to the broker's defaults.
result alter_configs(request_context& ctx) {
    auto request = decode_request<protocol::alter_configs_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::alter_configs_response response;
    for (const auto& r : request->resources) {
        auto& out = response.responses.emplace_back();
        out.resource_type = r.resource_type;
        out.resource_name = r.resource_name;
        auto refused = refuse(ctx.node, r.resource_type, r.resource_name);
        if (!refused) {
            config_map configs;
            for (const auto& c : r.configs) {
                if (c.value) {
                    configs[c.name] = *c.value;
                }
            }
            auto task = store(ctx.node, r.resource_name, std::move(configs),
                              request->validate_only);
            refused = co_await std::move(task);
        }
        answer(out, *refused);
    }
    co_return encode_response(response, ctx.version());
}

// IncrementalAlterConfigs: set, delete, append to or subtract from single
// configs, the others unchanged.
result incremental_alter_configs(request_context& ctx) {
    auto request = decode_request<protocol::incremental_alter_configs_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::incremental_alter_configs_response response;
    for (const auto& r : request->resources) {
        auto& out = response.responses.emplace_back();
        out.resource_type = r.resource_type;
        out.resource_name = r.resource_name;
        auto refused = refuse(ctx.node, r.resource_type, r.resource_name);
        if (!refused) {
            refused = check_operations(r.configs);
        }
        if (!refused) {
            config_map configs = ctx.node.topics->find(r.resource_name)->configs;
            for (const auto& c : r.configs) {
                auto op = static_cast<config_op>(c.config_operation);
                auto items = split_list(current_value(ctx.node, configs, c.name));
                if (op == config_op::set && c.value) {
                    configs[c.name] = *c.value;
                } else if (op == config_op::remove) {
                    configs.erase(c.name);
                } else if (op == config_op::append && c.value) {
                    for (const auto& v : split_list(*c.value)) {
                        if (std::find(items.begin(), items.end(), v) == items.end()) {
                            items.push_back(v);
                        }
                    }
                    configs[c.name] = join_list(items);
                } else if (op == config_op::subtract && c.value) {
                    for (const auto& v : split_list(*c.value)) {
                        std::erase(items, v);
                    }
                    configs[c.name] = join_list(items);
                } else {
                    refused = outcome{error_code::invalid_request,
                                      fmt::format("invalid operation {} on {}",
                                                  c.config_operation, c.name)};
                    break;
                }
            }
            if (!refused) {
                auto task = store(ctx.node, r.resource_name, std::move(configs),
                                  request->validate_only);
                refused = co_await std::move(task);
            }
        }
        answer(out, *refused);
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
