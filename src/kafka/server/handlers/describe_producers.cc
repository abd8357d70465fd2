#include "kafka/protocol/messages/describe_producers.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/partition_calls.h"
#include "storage/log_manager.h"

namespace kafka::handlers {
namespace {

using partition_out = protocol::describe_producers_response::partition_response;
using producer_out = protocol::describe_producers_response::producer_state;

// The producers a partition knows, as DescribeProducers shows them.
std::optional<std::vector<producer_out>> producers_of(cluster::partition* part) {
    if (part == nullptr) {
        return std::nullopt;
    }
    std::vector<producer_out> out;
    for (const auto& [id, e] : part->log().producers().producers()) {
        auto& p = out.emplace_back();
        p.producer_id = id;
        p.producer_epoch = e.epoch;
        p.last_sequence = e.last_sequence();
        p.last_timestamp = e.last_timestamp;
        p.coordinator_epoch = e.coordinator_epoch;
        p.current_txn_start_offset =
            e.transaction_first_offset ? part->to_kafka(*e.transaction_first_offset) : -1;
    }
    return out;
}

} // namespace

result describe_producers(request_context& ctx) {
    auto request = decode_request<protocol::describe_producers_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::describe_producers_response response;
    std::vector<partition_ref> wanted;
    // Where each of `wanted` is answered: topic and partition indexes.
    std::vector<std::pair<size_t, size_t>> outs;
    for (const auto& t : request->topics) {
        auto& topic_out = response.topics.emplace_back();
        topic_out.name = t.name;
        const auto* meta = ctx.node.topics->find(t.name);
        for (auto index : t.partition_indexes) {
            auto& out = topic_out.partitions.emplace_back();
            out.partition_index = index;
            if (!has_partition(meta, index)) {
                out.error_code =
                    static_cast<int16_t>(error_code::unknown_topic_or_partition);
                continue;
            }
            wanted.push_back({t.name, index});
            outs.emplace_back(response.topics.size() - 1,
                              topic_out.partitions.size() - 1);
        }
    }
    auto task = on_partitions(ctx.node, std::move(wanted), producers_of);
    auto found = co_await std::move(task);
    for (size_t i = 0; i < found.size(); ++i) {
        auto& out = response.topics[outs[i].first].partitions[outs[i].second];
        if (found[i]) {
            out.active_producers = std::move(*found[i]);
        } else {
            out.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
