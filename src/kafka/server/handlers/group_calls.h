#pragma once

#include "cluster/partition_manager.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/backend.h"
#include "kafka/server/group/group_manager.h"
#include "runtime/smp.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

// What the group handlers share: finding a group's coordinator shard and
// running work there.

namespace kafka::handlers {

// Where a group lives: its __consumer_offsets partition and that
// partition's shard. Null while the topic does not exist (FindCoordinator
// creates it).
struct coordinator_place {
    int32_t partition;
    runtime::shard_id owner;
};

inline std::optional<coordinator_place> place_of(const backend& node,
                                                 std::string_view group_id) {
    const auto* topic = node.topics->find(group::offsets_topic);
    if (topic == nullptr) {
        return std::nullopt;
    }
    int32_t partition = group::partition_for(group_id, topic->partitions);
    auto shards = static_cast<unsigned>(node.partitions.size());
    return coordinator_place{
        partition,
        cluster::partition_manager::owner(group::offsets_topic, partition, shards)};
}

// Where a group lives, or why it cannot be served: INVALID_GROUP_ID for an
// empty id, `no_topic` (COORDINATOR_NOT_AVAILABLE unless the API says
// otherwise) while __consumer_offsets does not exist yet.
inline std::variant<coordinator_place, error_code> locate_group(
    const backend& node, std::string_view group_id,
    error_code no_topic = error_code::coordinator_not_available) {
    if (group_id.empty()) {
        return error_code::invalid_group_id;
    }
    if (auto place = place_of(node, group_id)) {
        return *place;
    }
    return no_topic;
}

// Runs fn(group_manager&, partition) on the group's shard.
template<typename F>
auto on_coordinator(backend& node, coordinator_place place, F fn) {
    auto* manager = node.group_managers[place.owner()];
    return runtime::submit_to(
        place.owner,
        [manager, partition = place.partition, fn = std::move(fn)]() mutable {
            return fn(*manager, partition);
        });
}

// Commits offsets through the group's coordinator (`commit` runs there
// with the partitions of existing topics); the error of every partition
// asked for, those of unknown topics UNKNOWN_TOPIC_OR_PARTITION. In
// offset_commit.cc; TxnOffsetCommit shares it.
using commit_call = std::function<runtime::awaitable<protocol::offset_commit_response>(
    group::group_manager&, int32_t, protocol::offset_commit_request)>;
runtime::awaitable<std::map<std::pair<std::string, int32_t>, error_code>> commit_offsets(
    backend& node, protocol::offset_commit_request request, commit_call commit);

} // namespace kafka::handlers
