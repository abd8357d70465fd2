#pragma once

#include "model/fundamental.h"

#include <cstdint>
#include <map>
#include <string>

namespace cluster {

// Where a node listens: host and port.
struct node_address {
    std::string host;
    uint16_t port{0};
    bool operator==(const node_address&) const = default;
};

// A node of the cluster as it registered itself with the controller: the
// Kafka address clients are told, and its internal RPC address.
struct member {
    model::node_id id{0};
    node_address kafka;
    node_address rpc;
    bool operator==(const member&) const = default;
};

// A node registering (or, restarted with new addresses, registering again).
struct register_node_cmd {
    member node;
    bool operator==(const register_node_cmd&) const = default;
};

// The cluster's id, proposed by nodes from their data directories: the
// first one the log holds is the cluster's, reported by every node.
struct cluster_id_cmd {
    std::string id;
    bool operator==(const cluster_id_cmd&) const = default;
};

// The cluster's nodes and id, one copy per shard like the topic table,
// kept by applying the metadata log's registrations in order.
class members_table {
public:
    void apply(const register_node_cmd& cmd) { _members[cmd.node.id()] = cmd.node; }
    void apply(const cluster_id_cmd& cmd) {
        if (_cluster_id.empty()) {
            _cluster_id = cmd.id;
        }
    }
    // Empty until the log holds one.
    const std::string& cluster_id() const { return _cluster_id; }

    const member* find(model::node_id id) const {
        auto it = _members.find(id());
        return it == _members.end() ? nullptr : &it->second;
    }
    // By node id.
    const std::map<int32_t, member>& all() const { return _members; }

private:
    std::map<int32_t, member> _members;
    std::string _cluster_id;
};

} // namespace cluster
