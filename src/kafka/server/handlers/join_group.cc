#include "kafka/protocol/messages/join_group.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {

result join_group(request_context& ctx) {
    auto request = decode_request<protocol::join_group_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::join_group_response response;
    response.member_id = request->member_id;
    auto located = locate_group(ctx.node, request->group_id);
    if (auto* e = std::get_if<error_code>(&located)) {
        response.error_code = static_cast<int16_t>(*e);
        co_return encode_response(response, ctx.version());
    }
    // v0 has no rebalance timeout: it is the session timeout.
    if (request->rebalance_timeout_ms < 0) {
        request->rebalance_timeout_ms = request->session_timeout_ms;
    }
    // Kafka reports a member's host as Java prints an address: "/127.0.0.1".
    group::join_origin origin{ctx.header.client_id.value_or(""),
                              "/" + std::string(ctx.client_host), ctx.version()};
    auto task = on_coordinator(
        ctx.node, std::get<coordinator_place>(located),
        [request = std::move(*request),
         origin = std::move(origin)](group::group_manager& m, int32_t partition) mutable {
            return m.join(partition, std::move(request), std::move(origin));
        });
    response = co_await std::move(task);
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
