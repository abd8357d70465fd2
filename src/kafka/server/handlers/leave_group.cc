#include "kafka/protocol/messages/leave_group.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {

result leave_group(request_context& ctx) {
    auto request = decode_request<protocol::leave_group_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::leave_group_response response;
    auto place =
        request->group_id.empty() ? std::nullopt : place_of(ctx.node, request->group_id);
    if (!place) {
        response.error_code = static_cast<int16_t>(
            request->group_id.empty() ? error_code::invalid_group_id
                                      : error_code::coordinator_not_available);
        co_return encode_response(response, ctx.version());
    }
    auto task = on_coordinator(ctx.node, *place,
                               [request = std::move(*request), version = ctx.version()](
                                   group::group_manager& m, int32_t partition) mutable {
                                   return m.leave(partition, std::move(request), version);
                               });
    response = co_await std::move(task);
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
