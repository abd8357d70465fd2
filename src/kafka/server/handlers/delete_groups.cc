#include "kafka/protocol/messages/delete_groups.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {

result delete_groups(request_context& ctx) {
    auto request = decode_request<protocol::delete_groups_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::delete_groups_response response;
    for (const auto& id : request->groups_names) {
        auto& out = response.results.emplace_back();
        out.group_id = id;
        auto located = locate_group(ctx.node, id, error_code::group_id_not_found);
        if (auto* e = std::get_if<error_code>(&located)) {
            out.error_code = static_cast<int16_t>(*e);
            continue;
        }
        auto task = on_coordinator(ctx.node, std::get<coordinator_place>(located),
                                   [id](group::group_manager& m, int32_t partition) {
                                       return m.delete_group(partition, id);
                                   });
        out.error_code = static_cast<int16_t>(co_await std::move(task));
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
