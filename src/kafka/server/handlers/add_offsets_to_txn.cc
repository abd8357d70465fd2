#include "kafka/protocol/messages/add_offsets_to_txn.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/txn_calls.h"

namespace kafka::handlers {

// The group's __consumer_offsets partition joins the transaction, so that
// its TxnOffsetCommit offsets are committed or dropped with it.
result add_offsets_to_txn(request_context& ctx) {
    auto request = decode_request<protocol::add_offsets_to_txn_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::add_offsets_to_txn_response response;
    auto located = locate_txn(ctx.node, request->transactional_id);
    auto group = locate_group(ctx.node, request->group_id);
    error_code e = error_code::none;
    if (auto* refused = std::get_if<error_code>(&located)) {
        e = *refused;
    } else if (auto* no_group = std::get_if<error_code>(&group)) {
        e = *no_group;
    } else {
        txn::topic_partition tp{std::string(group::offsets_topic),
                                std::get<coordinator_place>(group).partition};
        auto task = on_txn_coordinator(
            ctx.node, std::get<txn_place>(located),
            [id = request->transactional_id, pid = request->producer_id,
             epoch = request->producer_epoch,
             tp = std::move(tp)](txn::txn_manager& m, int32_t partition) {
                return m.add_partitions(partition, id, pid, epoch, {tp});
            });
        e = co_await std::move(task);
    }
    response.error_code = static_cast<int16_t>(fenced_for(e, ctx.version(), 2));
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
