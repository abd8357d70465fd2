#include "kafka/protocol/messages/describe_configs.h"
#include "cluster/topic_table.h"
#include "config/property_set.h"
#include "config/registry.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/topic_config.h"

#include <algorithm>
#include <string>

namespace kafka::handlers {
namespace {

using resource_out = protocol::describe_configs_response::describe_configs_result;
using entry_out = protocol::describe_configs_response::describe_configs_resource_result;

// Kafka's resource types.
constexpr int8_t topic_resource = 2;
constexpr int8_t broker_resource = 4;

bool wanted(const std::optional<std::vector<std::string>>& keys, std::string_view name) {
    return !keys || keys->empty()
        || std::find(keys->begin(), keys->end(), name) != keys->end();
}

void add_synonyms(entry_out& e, const std::vector<config_synonym>& synonyms) {
    for (const auto& s : synonyms) {
        auto& out = e.synonyms.emplace_back();
        out.name = s.name;
        out.value = s.value;
        out.source = s.source;
    }
}

entry_out entry(const topic_config_entry& c, bool with_docs) {
    entry_out e;
    e.name = std::string(c.def->name);
    e.value = c.value;
    e.read_only = false;
    e.is_default = c.source == config_source::default_value;
    e.config_source = c.source;
    e.config_type = config_type(*c.def);
    if (with_docs) {
        e.documentation = std::string(c.def->documentation);
    }
    return e;
}

void describe_topic(
    const backend& node, const protocol::describe_configs_request& request,
    const protocol::describe_configs_request::describe_configs_resource& r,
    resource_out& out) {
    const auto* topic = node.topics->find(r.resource_name);
    if (topic == nullptr) {
        out.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
        out.error_message = "topic '" + r.resource_name + "' does not exist";
        return;
    }
    for (const auto& c : topic_config_entries(node, *topic)) {
        if (wanted(r.configuration_keys, c.def->name)) {
            auto& e = out.configs.emplace_back(entry(c, request.include_documentation));
            if (request.include_synonyms) {
                add_synonyms(e, topic_config_synonyms(*node.node_config, c));
            }
        }
    }
}

void describe_broker(
    const backend& node, int32_t node_id,
    const protocol::describe_configs_request& request,
    const protocol::describe_configs_request::describe_configs_resource& r,
    resource_out& out) {
    if (!r.resource_name.empty() && r.resource_name != std::to_string(node_id)) {
        out.error_code = static_cast<int16_t>(error_code::invalid_request);
        out.error_message = "this node is broker " + std::to_string(node_id);
        return;
    }
    for (const auto* def : config::all_properties()) {
        // A topic default that another property holds (max.message.bytes's
        // is message.max.bytes) is listed once, as that property.
        if (&config::broker_default_of(*def) != def
            || (def->scope == config::scope::topic && def->broker_name.empty())) {
            continue; // or a topic-only property, which brokers do not have
        }
        auto name = broker_name(*def);
        if (!wanted(r.configuration_keys, name)) {
            continue;
        }
        auto e = entry(broker_config_entry(*node.node_config, *def),
                       request.include_documentation);
        e.name = std::string(name);
        // A node reads its properties from its config at start; none
        // changes at run time (AlterConfigs refuses brokers).
        e.read_only = true;
        if (request.include_synonyms) {
            add_synonyms(e, broker_config_synonyms(*node.node_config, *def));
        }
        out.configs.push_back(std::move(e));
    }
}

} // namespace

result describe_configs(request_context& ctx) {
    auto request = decode_request<protocol::describe_configs_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::describe_configs_response response;
    for (const auto& r : request->resources) {
        auto& out = response.results.emplace_back();
        out.resource_type = r.resource_type;
        out.resource_name = r.resource_name;
        if (r.resource_type == topic_resource) {
            describe_topic(ctx.node, *request, r, out);
        } else if (r.resource_type == broker_resource) {
            describe_broker(ctx.node, ctx.config.node_id(), *request, r, out);
        } else {
            out.error_code = static_cast<int16_t>(error_code::invalid_request);
            out.error_message =
                "unsupported resource type " + std::to_string(r.resource_type);
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
