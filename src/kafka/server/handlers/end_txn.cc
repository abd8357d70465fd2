#include "kafka/protocol/messages/end_txn.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/txn_calls.h"

namespace kafka::handlers {

result end_txn(request_context& ctx) {
    auto request = decode_request<protocol::end_txn_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::end_txn_response response;
    auto located = locate_txn(ctx.node, request->transactional_id);
    error_code e = error_code::none;
    if (auto* refused = std::get_if<error_code>(&located)) {
        e = *refused;
    } else {
        auto task = on_txn_coordinator(
            ctx.node, std::get<txn_place>(located),
            [id = request->transactional_id, pid = request->producer_id,
             epoch = request->producer_epoch,
             commit = request->committed](txn::txn_manager& m, int32_t partition) {
                return m.end_txn(partition, id, pid, epoch, commit);
            });
        e = co_await std::move(task);
    }
    // PRODUCER_FENCED from v2 (KIP-588).
    response.error_code = static_cast<int16_t>(fenced_for(e, ctx.version(), 2));
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
