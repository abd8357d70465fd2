#include "kafka/protocol/messages/init_producer_id.h"
#include "cluster/controller.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/txn_calls.h"

namespace kafka::handlers {
namespace {

// PRODUCER_FENCED from v4 (KIP-588).
constexpr int16_t first_fenced_version = 4;

runtime::awaitable<std::optional<int64_t>> new_producer_id(backend& node) {
    auto* ctl = node.controller;
    auto task = runtime::submit_to(runtime::shard_id(0),
                                   [ctl] { return ctl->allocate_producer_id(); });
    co_return co_await std::move(task);
}

// A transactional producer's id and epoch come from its coordinator.
runtime::awaitable<txn::producer_result> init_transactional(
    backend& node, const protocol::init_producer_id_request& request) {
    auto located = locate_txn(node, *request.transactional_id);
    if (auto* e = std::get_if<error_code>(&located)) {
        co_return txn::producer_result{*e};
    }
    auto task = on_txn_coordinator(
        node, std::get<txn_place>(located),
        [id = *request.transactional_id, timeout = request.transaction_timeout_ms,
         pid = request.producer_id,
         epoch = request.producer_epoch](txn::txn_manager& m, int32_t partition) {
            return m.init_producer_id(partition, id, timeout, pid, epoch);
        });
    co_return co_await std::move(task);
}

} // namespace

// An idempotent producer (no transactional id) always gets a new producer
// id at epoch 0, whatever id and epoch it sends (as Kafka: with its old id
// gone, its old batches can no longer be confused with new ones).
result init_producer_id(request_context& ctx) {
    auto request = decode_request<protocol::init_producer_id_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::init_producer_id_response response;
    response.producer_id = -1;
    response.producer_epoch = -1;
    if (request->transactional_id) {
        auto task = init_transactional(ctx.node, *request);
        auto r = co_await std::move(task);
        response.error_code = static_cast<int16_t>(
            fenced_for(r.error, ctx.version(), first_fenced_version));
        if (r.error == error_code::none) {
            response.producer_id = r.producer_id;
            response.producer_epoch = r.epoch;
        }
        co_return encode_response(response, ctx.version());
    }
    auto id = co_await new_producer_id(ctx.node);
    if (!id) {
        response.error_code = static_cast<int16_t>(error_code::coordinator_not_available);
    } else {
        response.producer_id = *id;
        response.producer_epoch = 0;
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
