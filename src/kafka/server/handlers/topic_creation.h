#pragma once

#include "cluster/controller.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/backend.h"
#include "runtime/smp.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kafka::handlers {

// A topic as CreateTopics or auto-creation asks for it, checked; or the
// error and message to answer with.
struct topic_request {
    std::string name;
    int32_t partitions{-1};         // -1: num.partitions
    int16_t replication_factor{-1}; // -1: default.replication.factor
    std::map<std::string, std::string> configs;
    // A manual assignment, checked: each partition's brokers, in order.
    std::vector<std::vector<int32_t>> replicas;
};

struct creation_error {
    error_code code{error_code::none};
    std::string message;
};

// Checks a request against Kafka's rules and fills in the defaults.
std::variant<cluster::topic_metadata, creation_error> check_topic(const backend& node,
                                                                  topic_request request);

// Kafka's checks of a manual replica assignment (CreateTopics,
// CreatePartitions): every partition has the same number of replicas, none
// twice, each on a broker that exists (on a single node: this one).
// `replicas` lists each new partition's brokers in partition order.
std::optional<creation_error> check_assignment(
    const backend& node, const std::vector<std::vector<int32_t>>& replicas,
    std::optional<int16_t> replication_factor);

// The brokers replicas may be placed on: the registered nodes (this one
// alone until it registered).
std::vector<int32_t> registered_brokers(const backend& node);

// Checks a topic config (Kafka's name) and its value.
std::optional<std::string> invalid_topic_config(const std::string& name,
                                                const std::string& value);

// Creates the topic through the controller on shard 0.
runtime::awaitable<cluster::controller_errc> create_on_controller(
    backend& node, cluster::topic_metadata t);

error_code to_error_code(cluster::controller_errc e);

} // namespace kafka::handlers
