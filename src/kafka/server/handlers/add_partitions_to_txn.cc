#include "kafka/protocol/messages/add_partitions_to_txn.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/txn_calls.h"

namespace kafka::handlers {
namespace {

using topic_in = protocol::add_partitions_to_txn_request::add_partitions_to_txn_topic;
using topic_out =
    protocol::add_partitions_to_txn_response::add_partitions_to_txn_topic_result;

// PRODUCER_FENCED from v2 (KIP-588); v4 batches transactions (KIP-890),
// for a partition leader to check a producer's transaction (verify_only).
constexpr int16_t first_fenced_version = 2;
constexpr int16_t first_batched_version = 4;

std::vector<topic_out> answer_all(
    const std::vector<topic_in>& topics,
    const std::function<error_code(const std::string&, int32_t)>& code_of) {
    std::vector<topic_out> out;
    for (const auto& t : topics) {
        auto& o = out.emplace_back();
        o.name = t.name;
        for (auto p : t.partitions) {
            o.results_by_partition.push_back(
                {.partition_index = p,
                 .partition_error_code = static_cast<int16_t>(code_of(t.name, p))});
        }
    }
    return out;
}

// One transaction's partitions, added (or, verify_only, checked): as in
// Kafka, unknown partitions fail and the others are not attempted.
runtime::awaitable<std::vector<topic_out>> add_to(backend& node, std::string id,
                                                  int64_t producer_id, int16_t epoch,
                                                  bool verify_only,
                                                  const std::vector<topic_in>& topics,
                                                  int16_t version) {
    std::vector<txn::topic_partition> wanted;
    bool any_unknown = false;
    for (const auto& t : topics) {
        for (auto p : t.partitions) {
            any_unknown = any_unknown || !has_partition(node.topics->find(t.name), p);
            wanted.emplace_back(t.name, p);
        }
    }
    if (any_unknown) {
        co_return answer_all(topics, [&](const std::string& topic, int32_t p) {
            return has_partition(node.topics->find(topic), p)
                ? error_code::operation_not_attempted
                : error_code::unknown_topic_or_partition;
        });
    }
    auto located = locate_txn(node, id);
    if (auto* e = std::get_if<error_code>(&located)) {
        co_return answer_all(topics, [e](const std::string&, int32_t) { return *e; });
    }
    std::map<txn::topic_partition, error_code> codes;
    if (verify_only) {
        for (const auto& tp : wanted) {
            auto task = on_txn_coordinator(
                node, std::get<txn_place>(located),
                [id, producer_id, epoch, tp](txn::txn_manager& m, int32_t partition) {
                    return m.verify(partition, id, producer_id, epoch, tp);
                });
            codes[tp] = co_await std::move(task);
        }
    } else {
        auto task = on_txn_coordinator(
            node, std::get<txn_place>(located),
            [id, producer_id, epoch, wanted](txn::txn_manager& m, int32_t partition) {
                return m.add_partitions(partition, id, producer_id, epoch, wanted);
            });
        auto e = co_await std::move(task);
        for (const auto& tp : wanted) {
            codes[tp] = e;
        }
    }
    co_return answer_all(topics, [&](const std::string& topic, int32_t p) {
        return fenced_for(codes[{topic, p}], version, first_fenced_version);
    });
}

} // namespace

result add_partitions_to_txn(request_context& ctx) {
    auto request = decode_request<protocol::add_partitions_to_txn_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::add_partitions_to_txn_response response;
    if (ctx.version() < first_batched_version) {
        auto task = add_to(ctx.node, request->v3_and_below_transactional_id,
                           request->v3_and_below_producer_id,
                           request->v3_and_below_producer_epoch, false,
                           request->v3_and_below_topics, ctx.version());
        response.results_by_topic_v3_and_below = co_await std::move(task);
        co_return encode_response(response, ctx.version());
    }
    for (const auto& t : request->transactions) {
        auto task = add_to(ctx.node, t.transactional_id, t.producer_id, t.producer_epoch,
                           t.verify_only, t.topics, ctx.version());
        auto& out = response.results_by_transaction.emplace_back();
        out.transactional_id = t.transactional_id;
        out.topic_results = co_await std::move(task);
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
