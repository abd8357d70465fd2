#include "kafka/protocol/messages/offset_commit.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"

#include <map>

namespace kafka::handlers {

result offset_commit(request_context& ctx) {
    auto request = decode_request<protocol::offset_commit_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    // Partitions of topics that do not exist are answered here; the rest
    // go to the group's coordinator.
    std::map<std::pair<std::string, int32_t>, error_code> answered;
    auto known = *request;
    known.topics.clear();
    for (const auto& t : request->topics) {
        const auto* meta = ctx.node.topics->find(t.name);
        protocol::offset_commit_request::topic kept{.name = t.name};
        for (const auto& p : t.partitions) {
            if (has_partition(meta, p.partition_index)) {
                kept.partitions.push_back(p);
            } else {
                answered[{t.name, p.partition_index}] =
                    error_code::unknown_topic_or_partition;
            }
        }
        if (!kept.partitions.empty()) {
            known.topics.push_back(std::move(kept));
        }
    }
    error_code everyone = error_code::none;
    auto located = locate_group(ctx.node, request->group_id);
    if (auto* e = std::get_if<error_code>(&located)) {
        everyone = *e;
    } else if (!known.topics.empty()) {
        auto task =
            on_coordinator(ctx.node, std::get<coordinator_place>(located),
                           [known = std::move(known), version = ctx.version()](
                               group::group_manager& m, int32_t partition) mutable {
                               return m.commit(partition, std::move(known), version);
                           });
        auto committed = co_await std::move(task);
        for (const auto& t : committed.topics) {
            for (const auto& p : t.partitions) {
                answered[{t.name, p.partition_index}] =
                    static_cast<error_code>(p.error_code);
            }
        }
    }
    protocol::offset_commit_response response;
    for (const auto& t : request->topics) {
        auto& out = response.topics.emplace_back();
        out.name = t.name;
        for (const auto& p : t.partitions) {
            auto it = answered.find({t.name, p.partition_index});
            auto e = everyone != error_code::none ? everyone
                : it != answered.end()            ? it->second
                                                  : error_code::none;
            out.partitions.push_back({.partition_index = p.partition_index,
                                      .error_code = static_cast<int16_t>(e)});
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
