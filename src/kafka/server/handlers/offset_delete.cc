#include "kafka/protocol/messages/offset_delete.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {

result offset_delete(request_context& ctx) {
    auto request = decode_request<protocol::offset_delete_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::offset_delete_response response;
    auto located =
        locate_group(ctx.node, request->group_id, error_code::group_id_not_found);
    if (auto* e = std::get_if<error_code>(&located)) {
        response.error_code = static_cast<int16_t>(*e);
        co_return encode_response(response, ctx.version());
    }
    auto task = on_coordinator(ctx.node, std::get<coordinator_place>(located),
                               [request = std::move(*request)](
                                   group::group_manager& m, int32_t partition) mutable {
                                   return m.delete_offsets(partition, std::move(request));
                               });
    response = co_await std::move(task);
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
