#include "kafka/protocol/messages/heartbeat.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {

result heartbeat(request_context& ctx) {
    auto request = decode_request<protocol::heartbeat_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::heartbeat_response response;
    auto located = locate_group(ctx.node, request->group_id);
    if (auto* e = std::get_if<error_code>(&located)) {
        response.error_code = static_cast<int16_t>(*e);
        co_return encode_response(response, ctx.version());
    }
    auto place = std::get<coordinator_place>(located);
    auto task = on_coordinator(ctx.node, place,
                               [request = std::move(*request)](
                                   group::group_manager& m, int32_t partition) mutable {
                                   return m.heartbeat(partition, std::move(request));
                               });
    response.error_code = static_cast<int16_t>(co_await std::move(task));
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
