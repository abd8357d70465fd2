#include "kafka/protocol/messages/list_groups.h"
#include "cluster/partition_manager.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"

#include <algorithm>

namespace kafka::handlers {
namespace {

bool passes(const std::vector<std::string>& filter, const std::string& value) {
    if (filter.empty()) {
        return true;
    }
    // Kafka compares states and types without regard to case.
    return std::any_of(filter.begin(), filter.end(), [&](const std::string& f) {
        return f.size() == value.size()
            && std::equal(f.begin(), f.end(), value.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a))
                       == std::tolower(static_cast<unsigned char>(b));
               });
    });
}

} // namespace

result list_groups(request_context& ctx) {
    auto request = decode_request<protocol::list_groups_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::list_groups_response response;
    const auto* topic = ctx.node.topics->find(group::offsets_topic);
    if (topic == nullptr) {
        co_return encode_response(response, ctx.version());
    }
    // Every shard lists the groups of the partitions it owns.
    auto shards = static_cast<unsigned>(ctx.node.group_managers.size());
    for (unsigned s = 0; s < shards; ++s) {
        std::vector<int32_t> owned;
        for (int32_t p = 0; p < topic->partitions; ++p) {
            if (cluster::partition_manager::owner(group::offsets_topic, p, shards)()
                == s) {
                owned.push_back(p);
            }
        }
        auto* manager = ctx.node.group_managers[s];
        auto task = runtime::submit_to(runtime::shard_id(s),
                                       [manager, owned] { return manager->list(owned); });
        for (auto& g : co_await std::move(task)) {
            if (passes(request->states_filter, g.group_state)
                && passes(request->types_filter, g.group_type)) {
                response.groups.push_back(std::move(g));
            }
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
