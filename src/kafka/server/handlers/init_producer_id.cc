#include "kafka/protocol/messages/init_producer_id.h"
#include "cluster/controller.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {
namespace {

runtime::awaitable<std::optional<int64_t>> new_producer_id(backend& node) {
    auto* ctl = node.controller;
    auto task = runtime::submit_to(runtime::shard_id(0),
                                   [ctl] { return ctl->allocate_producer_id(); });
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
        response.error_code = static_cast<int16_t>(
            request->transactional_id->empty() ? error_code::invalid_request
                                               : error_code::coordinator_not_available);
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
