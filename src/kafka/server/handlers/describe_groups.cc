#include "kafka/protocol/messages/describe_groups.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {

result describe_groups(request_context& ctx) {
    auto request = decode_request<protocol::describe_groups_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::describe_groups_response response;
    for (const auto& id : request->groups) {
        auto place = id.empty() ? std::nullopt : place_of(ctx.node, id);
        if (!place) {
            auto& out = response.groups.emplace_back();
            out.group_id = id;
            out.error_code =
                static_cast<int16_t>(id.empty() ? error_code::invalid_group_id
                                                : error_code::coordinator_not_available);
            continue;
        }
        auto task = on_coordinator(ctx.node, *place,
                                   [id](group::group_manager& m, int32_t partition) {
                                       return m.describe(partition, id);
                                   });
        response.groups.push_back(co_await std::move(task));
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
