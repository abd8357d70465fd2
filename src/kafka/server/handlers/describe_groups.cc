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
        auto located = locate_group(ctx.node, id);
        if (auto* e = std::get_if<error_code>(&located)) {
            auto& out = response.groups.emplace_back();
            out.group_id = id;
            out.error_code = static_cast<int16_t>(*e);
            continue;
        }
        auto task = on_coordinator(ctx.node, std::get<coordinator_place>(located),
                                   [id](group::group_manager& m, int32_t partition) {
                                       return m.describe(partition, id);
                                   });
        auto& out = response.groups.emplace_back(co_await std::move(task));
        // From v6 (KIP-1043) a group that does not exist is an error, not an
        // empty Dead group.
        if (ctx.version() >= 6 && out.error_code == 0 && out.group_state == "Dead") {
            out.error_code = static_cast<int16_t>(error_code::group_id_not_found);
            out.error_message = "Group " + id + " not found.";
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
