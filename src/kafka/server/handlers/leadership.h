#pragma once

#include "cluster/leaders_table.h"
#include "cluster/members_table.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/backend.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// What a node says of the cluster and of partition leadership: the
// brokers (the registered nodes), the controller, each partition's
// replicas, and its leader and epoch (the partition's Raft term less one)
// as this shard's tables know them. Every handler that reports brokers,
// leaders or their epochs answers from here.

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

// The brokers Metadata and DescribeCluster list: this node at the address
// it has now (its registration may lag a restart with a new one), then the
// other registered nodes.
template<typename F>
void for_each_broker(const backend& node, const cluster::node_address& self_address,
                     F&& f) {
    f(node.self(), self_address);
    if (node.members != nullptr) {
        for (const auto& [id, m] : node.members->all()) {
            if (id != node.self()) {
                f(id, m.kafka);
            }
        }
    }
}

// The cluster id Metadata and DescribeCluster report: the cluster's (the
// first a node proposed to the controller), or this node's own until the
// controller has applied one.
inline const std::string& cluster_id_of(const backend& node, const std::string& own) {
    if (node.members != nullptr && !node.members->cluster_id().empty()) {
        return node.members->cluster_id();
    }
    return own;
}

// The controller Metadata and DescribeCluster report: the controller
// group's leader, or this node while none is known (clients send admin
// requests there; a node that does not lead answers NOT_CONTROLLER).
inline int32_t controller_id(const backend& node) {
    auto c = node.leaders != nullptr ? node.leaders->controller() : model::node_id(-1);
    return c >= model::node_id(0) ? c() : node.self();
}

// Whether `topic` (null: no such topic) has a partition numbered
// `partition`.
inline bool has_partition(const cluster::topic_metadata* topic, int32_t partition) {
    return topic != nullptr && partition >= 0 && partition < topic->partitions;
}

// Fills the fields Metadata's and DescribeTopicPartitions' partitions
// share (two generated types with the same names). A partition without a
// leader yet is LEADER_NOT_AVAILABLE, which clients retry.
// The ISR reported is the replica set: in-sync state lives with each
// partition's leader and is not spread to other nodes yet.
template<typename Partition>
void describe_leadership(const backend& node, Partition& out,
                         const cluster::topic_metadata& topic, int32_t partition) {
    out.partition_index = partition;
    auto l = leader_of(node, topic.name, partition);
    out.leader_id = l ? l->node() : -1;
    out.leader_epoch = l ? epoch_of(*l) : -1;
    if (!l) {
        out.error_code = static_cast<int16_t>(error_code::leader_not_available);
    }
    out.replica_nodes.clear();
    for (auto r : topic.replicas_of(partition, node.self)) {
        out.replica_nodes.push_back(r());
    }
    out.isr_nodes = out.replica_nodes;
}

} // namespace kafka::handlers
