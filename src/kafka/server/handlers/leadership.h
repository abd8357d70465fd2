#pragma once

#include "cluster/leaders_table.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/backend.h"

#include <cstdint>
#include <optional>
#include <string_view>

// What a node says of partition leadership: the leader and its epoch (the
// partition's Raft term less one) as this shard's leaders table knows them. Every
// partition's only replica is this node until the cluster places replicas
// on several. Every handler that reports leaders or their epochs answers
// from here.

namespace kafka::handlers {

// The leader of a partition as this shard knows it; none while it has none.
inline std::optional<cluster::leaders_table::leader> leader_of(const backend& node,
                                                               std::string_view topic,
                                                               int32_t partition) {
    if (node.leaders == nullptr) {
        return std::nullopt;
    }
    auto l = node.leaders->find(topic, partition);
    if (!l || l->node < model::node_id(0)) {
        return std::nullopt;
    }
    return l;
}

// Kafka's leader epoch of a Raft term (cluster/raft_entries.h).
inline int32_t epoch_of(const cluster::leaders_table::leader& l) {
    return static_cast<int32_t>(l.term() - 1);
}

// The leader epoch a partition's leader has; -1 when it has no leader.
inline int32_t leader_epoch_of(const backend& node, std::string_view topic,
                               int32_t partition) {
    auto l = leader_of(node, topic, partition);
    return l ? epoch_of(*l) : -1;
}

// KIP-320: a client that knows a newer leader epoch than ours, or an older
// one, is told so rather than answered. -1 means the client does not say.
inline error_code check_leader_epoch(int32_t client_epoch, int32_t current_epoch) {
    if (client_epoch < 0) {
        return error_code::none;
    }
    if (current_epoch < 0) {
        return error_code::not_leader_or_follower;
    }
    if (client_epoch > current_epoch) {
        return error_code::unknown_leader_epoch;
    }
    if (client_epoch < current_epoch) {
        return error_code::fenced_leader_epoch;
    }
    return error_code::none;
}

// Whether `topic` (null: no such topic) has a partition numbered
// `partition`.
inline bool has_partition(const cluster::topic_metadata* topic, int32_t partition) {
    return topic != nullptr && partition >= 0 && partition < topic->partitions;
}

// Fills the fields Metadata's and DescribeTopicPartitions' partitions
// share (two generated types with the same names). A partition without a
// leader yet is LEADER_NOT_AVAILABLE, which clients retry.
template<typename Partition>
void describe_leadership(const backend& node, Partition& out, std::string_view topic,
                         int32_t partition, int32_t node_id) {
    out.partition_index = partition;
    auto l = leader_of(node, topic, partition);
    out.leader_id = l ? l->node() : -1;
    out.leader_epoch = l ? epoch_of(*l) : -1;
    if (!l) {
        out.error_code = static_cast<int16_t>(error_code::leader_not_available);
    }
    out.replica_nodes = {node_id};
    out.isr_nodes = {node_id};
}

} // namespace kafka::handlers
