#include "kafka/protocol/messages/list_transactions.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/txn_calls.h"

namespace kafka::handlers {
namespace {

runtime::awaitable<std::vector<txn::described_txn>> list_on(
    backend& node, unsigned shard, std::set<txn::txn_status> states,
    std::set<int64_t> producer_ids, int64_t min_duration_ms) {
    auto* manager = node.txn_managers[shard];
    auto task = runtime::submit_to(runtime::shard_id(shard), [=]() {
        return manager->list(states, producer_ids, min_duration_ms);
    });
    co_return co_await std::move(task);
}

} // namespace

result list_transactions(request_context& ctx) {
    auto request = decode_request<protocol::list_transactions_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::list_transactions_response response;
    std::set<txn::txn_status> states;
    for (const auto& name : request->state_filters) {
        if (auto s = txn::status_named(name)) {
            states.insert(*s);
        } else {
            response.unknown_state_filters.push_back(name);
        }
    }
    // Only unknown states asked for: nothing can match.
    if (!request->state_filters.empty() && states.empty()) {
        co_return encode_response(response, ctx.version());
    }
    std::set<int64_t> producer_ids(request->producer_id_filters.begin(),
                                   request->producer_id_filters.end());
    for (unsigned shard = 0; shard < ctx.node.txn_managers.size(); ++shard) {
        auto task =
            list_on(ctx.node, shard, states, producer_ids, request->duration_filter);
        for (auto& d : co_await std::move(task)) {
            response.transaction_states.push_back(
                {.transactional_id = d.transactional_id,
                 .producer_id = d.metadata.producer_id,
                 .transaction_state = std::string(txn::to_string(d.metadata.status))});
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
