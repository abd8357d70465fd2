#pragma once

#include "model/fundamental.h"

#include <cstdint>
#include <vector>

namespace config {
class property_set;
} // namespace config

namespace runtime {
class memory_budget;
} // namespace runtime

namespace cluster {
class controller;
class leaders_table;
class members_table;
class partition_manager;
class topic_table;
} // namespace cluster

namespace kafka {

namespace group {
class group_manager;
} // namespace group

namespace txn {
class txn_manager;
} // namespace txn

class fetch_session_cache;
class fetch_waiters;

// What the handlers of one shard work through: this shard's copy of the
// topics, every shard's partitions (a request for a partition owned by
// another shard is sent there), the controller on shard 0, and the
// broker-level settings the handlers apply.
struct backend {
    // This node.
    model::node_id self{0};
    const cluster::topic_table* topics{nullptr};
    // This shard's copy of the cluster's registered nodes.
    const cluster::members_table* members{nullptr};
    // This shard's copy of who leads each partition, and in which term.
    const cluster::leaders_table* leaders{nullptr};
    // Indexed by shard id; each is touched only on its own shard.
    std::vector<cluster::partition_manager*> partitions;
    // Lives on shard 0; called there only.
    cluster::controller* controller{nullptr};
    // The node's configuration, read-only for the node's lifetime (so any
    // shard may read it): broker values and topic defaults.
    const config::property_set* node_config{nullptr};
    // This shard's share of queued.max.request.bytes.
    runtime::memory_budget* memory{nullptr};
    // This shard's incremental fetch sessions.
    fetch_session_cache* fetch_sessions{nullptr};
    // Every shard's waiting fetches, indexed by shard id: an append wakes
    // them from the partition's shard.
    std::vector<fetch_waiters*> waiting_fetches;

    // Every shard's group coordinator, indexed by shard id: a group lives on
    // the shard that owns its __consumer_offsets partition.
    std::vector<group::group_manager*> group_managers;
    // offsets.topic.num.partitions, for creating __consumer_offsets.
    int32_t offsets_topic_partitions{50};
    // Every shard's transaction coordinator, indexed by shard id: a
    // transactional id lives on the shard that owns its __transaction_state
    // partition (transaction.state.log.num.partitions of them).
    std::vector<txn::txn_manager*> txn_managers;
    int32_t transaction_state_partitions{50};

    bool auto_create_topics{true};
    int32_t default_partitions{1};
    int16_t default_replication_factor{1};
    // message.max.bytes: the largest record batch a topic takes unless its
    // max.message.bytes says otherwise.
    int32_t message_max_bytes{1048588};
};

} // namespace kafka
