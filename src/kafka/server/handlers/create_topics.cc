#include "kafka/protocol/messages/create_topics.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/topic_config.h"
#include "kafka/server/handlers/topic_creation.h"
#include "kafka/server/handlers/topic_rules.h"

namespace kafka::handlers {
namespace {

using topic_out = protocol::create_topics_response::creatable_topic_result;

// A refused topic is answered with its error alone, as Kafka does.
void refuse(topic_out& out, error_code e, std::optional<std::string> message) {
    out.error_code = static_cast<int16_t>(e);
    out.error_message = std::move(message);
    out.topic_id = {};
    out.num_partitions = -1;
    out.replication_factor = -1;
    out.configs.reset();
}

int64_t requested_partitions(const backend& node,
                             const protocol::create_topics_request& request) {
    int64_t total = 0;
    for (const auto& t : request.topics) {
        if (!t.assignments.empty()) {
            total += static_cast<int64_t>(t.assignments.size());
        } else if (t.num_partitions == -1) {
            total += node.default_partitions;
        } else if (t.num_partitions > 0) {
            total += t.num_partitions;
        }
    }
    return total;
}

} // namespace

// A manual assignment stands for the partition count and replication
// factor, which must then be -1 (Kafka's rules); partitions come in order.
template<typename Topic>
std::optional<creation_error> take_assignment(const backend& node, const Topic& t,
                                              topic_request& want) {
    if (t.num_partitions != -1 || t.replication_factor != -1) {
        return creation_error{error_code::invalid_request,
                              "a manual partition assignment was given, so the partition "
                              "count and replication factor must be -1"};
    }
    std::vector<std::vector<int32_t>> replicas(t.assignments.size());
    for (const auto& a : t.assignments) {
        if (a.partition_index < 0
            || static_cast<size_t>(a.partition_index) >= replicas.size()
            || !replicas[a.partition_index].empty()) {
            return creation_error{error_code::invalid_replica_assignment,
                                  "partition indexes must run from 0 without gaps"};
        }
        replicas[a.partition_index] = a.broker_ids;
    }
    if (auto e = check_assignment(node, replicas, std::nullopt)) {
        return e;
    }
    want.partitions = static_cast<int32_t>(replicas.size());
    want.replication_factor = static_cast<int16_t>(replicas[0].size());
    want.replicas = std::move(replicas);
    return std::nullopt;
}

result create_topics(request_context& ctx) {
    auto request = decode_request<protocol::create_topics_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::create_topics_response response;
    if (requested_partitions(ctx.node, *request) > max_partitions_per_request) {
        for (const auto& t : request->topics) {
            auto& out = response.topics.emplace_back();
            out.name = t.name;
            refuse(out, error_code::policy_violation, std::string(too_many_partitions));
        }
        co_return encode_response(response, ctx.version());
    }
    for (const auto& t : request->topics) {
        auto& out = response.topics.emplace_back();
        out.name = t.name;
        topic_request want{t.name, t.num_partitions, t.replication_factor, {}, {}};
        std::optional<creation_error> refused;
        for (const auto& c : t.configs) {
            if (!c.value) {
                continue; // null: the default
            }
            want.configs[c.name] = *c.value;
        }
        if (!t.assignments.empty()) {
            refused = take_assignment(ctx.node, t, want);
        }
        auto checked = refused
            ? std::variant<cluster::topic_metadata, creation_error>(*refused)
            : check_topic(ctx.node, std::move(want));
        if (auto* e = std::get_if<creation_error>(&checked)) {
            refuse(out, e->code, e->message);
            continue;
        }
        auto meta = std::get<cluster::topic_metadata>(std::move(checked));
        out.num_partitions = meta.partitions;
        out.replication_factor = meta.replication_factor;
        // v5+ (KIP-525): the new topic's configs, as DescribeConfigs would
        // show them.
        auto& configs = out.configs.emplace();
        for (const auto& c : topic_config_entries(ctx.node, meta)) {
            configs.push_back({.name = std::string(c.def->name),
                               .value = c.value,
                               .config_source = c.source});
        }
        if (request->validate_only) {
            if (ctx.node.topics->find(meta.name)) {
                refuse(out, error_code::topic_already_exists,
                       "topic '" + meta.name + "' already exists");
            }
            continue;
        }
        out.topic_id = meta.id;
        auto task = create_on_controller(ctx.node, std::move(meta));
        auto e = co_await std::move(task);
        if (e != cluster::controller_errc::none) {
            refuse(out, to_error_code(e),
                   e == cluster::controller_errc::topic_exists
                       ? std::optional("topic '" + t.name + "' already exists")
                       : std::nullopt);
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
