#pragma once

#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"

#include <cstdint>

// What a single node says of partition leadership, until Raft brings terms
// and replicas: it is the only replica of every partition, in sync, and
// its leader at epoch 0. Every handler that reports leaders or their
// epochs answers from here.

namespace kafka::handlers {

constexpr int32_t single_node_leader_epoch = 0;

// KIP-320: a client that knows a newer leader epoch than ours, or an older
// one, is told so rather than answered. -1 means the client does not say.
inline error_code check_leader_epoch(int32_t client_epoch) {
    if (client_epoch > single_node_leader_epoch) {
        return error_code::unknown_leader_epoch;
    }
    if (client_epoch >= 0 && client_epoch < single_node_leader_epoch) {
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
// share (two generated types with the same names).
template<typename Partition>
void describe_leadership(Partition& out, int32_t partition, int32_t node_id) {
    out.partition_index = partition;
    out.leader_id = node_id;
    out.leader_epoch = single_node_leader_epoch;
    out.replica_nodes = {node_id};
    out.isr_nodes = {node_id};
}

} // namespace kafka::handlers
