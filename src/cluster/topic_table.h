#pragma once

#include "cluster/members_table.h"
#include "model/fundamental.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cluster {

using topic_id = std::array<uint8_t, 16>;

// What the cluster knows of a topic. `configs` holds the topic-level
// configs set explicitly (Kafka's names); the rest come from the broker's
// defaults.
struct topic_metadata {
    std::string name;
    topic_id id{};
    int32_t partitions{1};
    int16_t replication_factor{1};
    std::map<std::string, std::string> configs;
    // Each partition's replicas, by node id, the first its preferred
    // leader. A partition with none listed (every partition of a topic
    // made before replicas were placed) lives on the node alone.
    std::vector<std::vector<model::node_id>> replicas;

    // The replicas of partition `p`; `self` alone when none are listed.
    std::vector<model::node_id> replicas_of(int32_t p, model::node_id self) const;

    bool operator==(const topic_metadata&) const = default;
};

// The commands of the metadata log: what the controller appends, and what
// every shard applies in log order to its topic_table. (The Raft issue
// replicates this same log between controller nodes.)
struct create_topic_cmd {
    topic_metadata topic;
    bool operator==(const create_topic_cmd&) const = default;
};
struct delete_topic_cmd {
    std::string name;
    bool operator==(const delete_topic_cmd&) const = default;
};
struct create_partitions_cmd {
    std::string name;
    int32_t total{0};
    // The new partitions' replicas, in order (none: each on the node alone).
    std::vector<std::vector<model::node_id>> replicas;
    bool operator==(const create_partitions_cmd&) const = default;
};
// Replaces the topic's explicit configs with `configs`.
struct set_topic_configs_cmd {
    std::string name;
    std::map<std::string, std::string> configs;
    bool operator==(const set_topic_configs_cmd&) const = default;
};
// Producer ids below `end` are handed out (in blocks, by the controller):
// after a restart, or a failover, allocation resumes at the highest end in
// the log, so an id is never given twice. Topics ignore it.
struct allocate_producer_ids_cmd {
    int64_t end{0};
    bool operator==(const allocate_producer_ids_cmd&) const = default;
};
using topic_command =
    std::variant<create_topic_cmd, delete_topic_cmd, create_partitions_cmd,
                 set_topic_configs_cmd, allocate_producer_ids_cmd, register_node_cmd,
                 cluster_id_cmd>;

// Every topic, as one shard sees it: a copy per shard, kept identical by
// applying the same commands in the same order, so lookups on the request
// path take no lock and cross no shard.
class topic_table {
public:
    // A command the controller has validated; one for a topic that does not
    // (or already does) exist is a no-op, so replay is idempotent.
    void apply(const topic_command& cmd);

    const topic_metadata* find(std::string_view name) const;
    const topic_metadata* find(const topic_id& id) const;
    const std::map<std::string, topic_metadata, std::less<>>& topics() const {
        return _topics;
    }

private:
    std::map<std::string, topic_metadata, std::less<>> _topics;
    std::map<topic_id, std::string> _by_id;
};

} // namespace cluster
