#pragma once

#include "cluster/partition_manager.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/backend.h"
#include "kafka/server/group/group_manager.h"
#include "runtime/smp.h"

#include <optional>
#include <string>
#include <string_view>

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

} // namespace kafka::handlers
