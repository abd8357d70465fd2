#include "kafka/protocol/messages/end_txn.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/txn_calls.h"

namespace kafka::handlers {
namespace {

constexpr int16_t first_bumping_version = 5;

} // namespace

result end_txn(request_context& ctx) {
    auto request = decode_request<protocol::end_txn_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::end_txn_response response;
    auto located = locate_txn(ctx.node, request->transactional_id);
    txn::producer_result ended;
    if (auto* refused = std::get_if<error_code>(&located)) {
        ended.error = *refused;
    } else {
        // v5 is transaction version 2 (KIP-890 part 2): the epoch moves on
        // at every end, and the answer tells the producer its next one.
        bool bump_epoch = ctx.version() >= first_bumping_version;
        auto task = on_txn_coordinator(
            ctx.node, std::get<txn_place>(located),
            [id = request->transactional_id, pid = request->producer_id,
             epoch = request->producer_epoch, commit = request->committed,
             bump_epoch](txn::txn_manager& m, int32_t partition) {
                return m.end_txn(partition, id, pid, epoch, commit, bump_epoch);
            });
        ended = co_await std::move(task);
    }
    // PRODUCER_FENCED from v2 (KIP-588).
    response.error_code = static_cast<int16_t>(fenced_for(ended.error, ctx.version(), 2));
    if (ended.error == error_code::none) {
        response.producer_id = ended.producer_id;
        response.producer_epoch = ended.epoch;
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
