#include "kafka/protocol/messages/offset_commit.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"

#include <map>

namespace kafka::handlers {

runtime::awaitable<std::map<std::pair<std::string, int32_t>, error_code>> commit_offsets(
    backend& node, protocol::offset_commit_request request, commit_call commit) {
    // Partitions of topics that do not exist are answered here; the rest
    // go to the group's coordinator.
    std::map<std::pair<std::string, int32_t>, error_code> answered;
    auto known = request;
    known.topics.clear();
    for (const auto& t : request.topics) {
        const auto* meta = node.topics->find(t.name);
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
    auto located = locate_group(node, request.group_id);
    if (auto* e = std::get_if<error_code>(&located)) {
        everyone = *e;
    } else if (!known.topics.empty()) {
        auto task =
            on_coordinator(node, std::get<coordinator_place>(located),
                           [known = std::move(known), commit = std::move(commit)](
                               group::group_manager& m, int32_t partition) mutable {
                               return commit(m, partition, std::move(known));
                           });
        auto committed = co_await std::move(task);
        for (const auto& t : committed.topics) {
            for (const auto& p : t.partitions) {
                answered[{t.name, p.partition_index}] =
                    static_cast<error_code>(p.error_code);
            }
        }
    }
    for (const auto& t : request.topics) {
        for (const auto& p : t.partitions) {
            auto& e = answered[{t.name, p.partition_index}];
            if (everyone != error_code::none) {
                e = everyone;
            }
        }
    }
    co_return answered;
}

result offset_commit(request_context& ctx) {
    auto request = decode_request<protocol::offset_commit_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    auto task = commit_offsets(
        ctx.node, *request,
        [version = ctx.version()](group::group_manager& m, int32_t partition,
                                  protocol::offset_commit_request known) {
            return m.commit(partition, std::move(known), version);
        });
    auto answered = co_await std::move(task);
    protocol::offset_commit_response response;
    for (const auto& t : request->topics) {
        auto& out = response.topics.emplace_back();
        out.name = t.name;
        for (const auto& p : t.partitions) {
            out.partitions.push_back({.partition_index = p.partition_index,
                                      .error_code = static_cast<int16_t>(
                                          answered[{t.name, p.partition_index}])});
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
