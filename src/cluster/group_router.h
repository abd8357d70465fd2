#pragma once

#include "cluster/topic_table.h"
#include "raft/outbox.h"
#include "runtime/smp.h"

#include <optional>
#include <unordered_map>

namespace cluster {

// Which shard of this node runs a Raft group, for the batches peers send:
// they name groups by id, and a partition's shard is a function of its
// topic, number and this node's shard count (partition_manager::owner),
// which peers do not know. Kept on the shard that serves the internal
// RPC, rebuilt from its topic table after each metadata command.
class group_router {
public:
    // A partition's group on the wire: the same on every replica, from the
    // topic's id (a topic made again under its name is another group).
    static raft::group_id group_of(const topic_metadata& topic, int32_t partition);

    void rebuild(const topic_table& topics, unsigned shard_count);
    std::optional<runtime::shard_id> shard_of(raft::group_id group) const;

private:
    std::unordered_map<int64_t, runtime::shard_id> _shards;
};

} // namespace cluster
