#include "kafka/protocol/messages/create_partitions.h"
#include "cluster/controller.h"
#include "cluster/topic_table.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/topic_creation.h"
#include "kafka/server/handlers/topic_rules.h"

#include <fmt/format.h>

namespace kafka::handlers {
namespace {

// The partitions the request would add to the topics that exist.
int64_t new_partitions(const backend& node,
                       const protocol::create_partitions_request& request) {
    int64_t total = 0;
    for (const auto& t : request.topics) {
        const auto* meta = node.topics->find(t.name);
        if (meta != nullptr && t.count > meta->partitions) {
            total += t.count - meta->partitions;
        }
    }
    return total;
}

} // namespace

// The brokers of each added partition, as many as are added, with the
// topic's replication factor.
template<typename Topic>
std::optional<creation_error> check_new_assignments(const backend& node,
                                                    const cluster::topic_metadata& meta,
                                                    const Topic& t) {
    auto added = static_cast<size_t>(t.count - meta.partitions);
    if (t.assignments->size() != added) {
        return creation_error{
            error_code::invalid_replica_assignment,
            fmt::format("{} partitions are added, but {} assignments were given", added,
                        t.assignments->size())};
    }
    std::vector<std::vector<int32_t>> replicas;
    for (const auto& a : *t.assignments) {
        replicas.push_back(a.broker_ids);
    }
    return check_assignment(node, replicas, meta.replication_factor);
}

result create_partitions(request_context& ctx) {
    auto request = decode_request<protocol::create_partitions_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::create_partitions_response response;
    if (new_partitions(ctx.node, *request) > max_partitions_per_request) {
        for (const auto& t : request->topics) {
            auto& out = response.results.emplace_back();
            out.name = t.name;
            out.error_code = static_cast<int16_t>(error_code::policy_violation);
            out.error_message = std::string(too_many_partitions);
        }
        co_return encode_response(response, ctx.version());
    }
    for (const auto& t : request->topics) {
        auto& out = response.results.emplace_back();
        out.name = t.name;
        const auto* meta = ctx.node.topics->find(t.name);
        if (meta == nullptr) {
            out.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
            out.error_message = fmt::format("topic '{}' does not exist", t.name);
            continue;
        }
        if (t.count <= meta->partitions) {
            out.error_code = static_cast<int16_t>(error_code::invalid_partitions);
            out.error_message = fmt::format(
                "topic currently has {} partitions, which is {} the requested {}",
                meta->partitions, t.count == meta->partitions ? "equal to" : "more than",
                t.count);
            continue;
        }
        if (t.assignments) {
            if (auto e = check_new_assignments(ctx.node, *meta, t)) {
                out.error_code = static_cast<int16_t>(e->code);
                out.error_message = e->message;
                continue;
            }
        }
        if (request->validate_only) {
            continue;
        }
        std::vector<std::vector<model::node_id>> replicas;
        if (t.assignments) {
            for (const auto& a : *t.assignments) {
                auto& placed = replicas.emplace_back();
                for (auto b : a.broker_ids) {
                    placed.emplace_back(b);
                }
            }
        }
        auto* ctl = ctx.node.controller;
        auto task = runtime::submit_to(runtime::shard_id(0),
                                       [ctl, name = t.name, count = t.count,
                                        replicas = std::move(replicas)]() mutable {
                                           return ctl->create_partitions(
                                               name, count, std::move(replicas));
                                       });
        auto e = co_await std::move(task);
        out.error_code = static_cast<int16_t>(to_error_code(e));
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
