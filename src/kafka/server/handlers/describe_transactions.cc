#include "kafka/protocol/messages/describe_transactions.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/txn_calls.h"

namespace kafka::handlers {

result describe_transactions(request_context& ctx) {
    auto request = decode_request<protocol::describe_transactions_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::describe_transactions_response response;
    for (const auto& id : request->transactional_ids) {
        auto& out = response.transaction_states.emplace_back();
        out.transactional_id = id;
        out.producer_id = -1;
        out.producer_epoch = -1;
        out.transaction_start_time_ms = -1;
        auto located = locate_txn(ctx.node, id);
        if (auto* e = std::get_if<error_code>(&located)) {
            // No coordinator topic yet: no transactional id either.
            out.error_code =
                static_cast<int16_t>(*e == error_code::coordinator_not_available
                                         ? error_code::transactional_id_not_found
                                         : *e);
            continue;
        }
        auto task = on_txn_coordinator(ctx.node, std::get<txn_place>(located),
                                       [id](txn::txn_manager& m, int32_t partition) {
                                           return m.describe(partition, id);
                                       });
        auto d = co_await std::move(task);
        out.error_code = static_cast<int16_t>(d.error);
        if (d.error != error_code::none) {
            continue;
        }
        const auto& m = d.metadata;
        out.transaction_state = std::string(txn::to_string(m.status));
        out.transaction_timeout_ms = m.timeout_ms;
        out.transaction_start_time_ms = m.start_ms;
        out.producer_id = m.producer_id;
        out.producer_epoch = m.epoch;
        for (const auto& [topic, partition] : m.partitions) {
            if (out.topics.empty() || out.topics.back().topic != topic) {
                out.topics.push_back({.topic = topic, .partitions = {}});
            }
            out.topics.back().partitions.push_back(partition);
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
