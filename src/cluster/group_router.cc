#include "cluster/group_router.h"

#include "cluster/partition_manager.h"

namespace cluster {

raft::group_id group_router::group_of(const topic_metadata& topic, int32_t partition) {
    // FNV-1a over the id's bytes and the partition: stable across builds.
    uint64_t h = 1469598103934665603ULL;
    for (auto b : topic.id) {
        h = (h ^ b) * 1099511628211ULL;
    }
    h = (h ^ static_cast<uint32_t>(partition)) * 1099511628211ULL;
    return raft::group_id(static_cast<int64_t>(h >> 1U));
}

void group_router::rebuild(const topic_table& topics, unsigned shard_count) {
    _shards.clear();
    for (const auto& [name, topic] : topics.topics()) {
        for (int32_t p = 0; p < topic.partitions; ++p) {
            _shards[group_of(topic, p)()] =
                partition_manager::owner(name, p, shard_count);
        }
    }
}

std::optional<runtime::shard_id> group_router::shard_of(raft::group_id group) const {
    auto it = _shards.find(group());
    if (it == _shards.end()) {
        return std::nullopt;
    }
    return it->second;
}

} // namespace cluster
