#pragma once

#include "cluster/leaders_table.h"
#include "cluster/raft_transport.h"
#include "runtime/gate.h"
#include "runtime/smp.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cluster {

// The internal RPC method that tells a node which partitions the sender
// leads (encode_leaderships); its answer is empty.
inline constexpr uint16_t leaders_method = 3;

// One partition's leadership, as its leader tells the other nodes.
struct leadership {
    std::string topic;
    int32_t partition{0};
    leaders_table::leader leader;
    bool operator==(const leadership&) const = default;
};

base::iobuf encode_leaderships(const std::vector<leadership>& all);
// None when the bytes are not a whole, well-formed list.
std::optional<std::vector<leadership>> decode_leaderships(const base::iobuf& bytes);

// Tells every other node which partitions this one leads, so that any node
// answers Metadata for partitions it holds no replica of. A change is sent
// within a tick; the whole list again every `resend` (a node that
// restarted, or a message lost, is caught up). Receivers keep an entry
// only if its term is newer than what they know. On one shard.
class leader_broadcast {
public:
    struct options {
        std::chrono::milliseconds tick{50};
        std::chrono::milliseconds resend{2000};
    };
    using peer_list = std::function<std::vector<raft::node_id>()>;

    leader_broadcast(boost::asio::any_io_executor shard, raft::node_id self,
                     peer_list peers, peer_directory addresses, options o);
    leader_broadcast(boost::asio::any_io_executor shard, raft::node_id self,
                     peer_list peers, peer_directory addresses)
      : leader_broadcast(std::move(shard), self, std::move(peers), std::move(addresses),
                         options{}) {}

    // A local replica's view of its partition's leadership changed.
    void local_change(const std::string& topic, int32_t partition,
                      leaders_table::leader l);
    // A deleted topic: its partitions are no longer told.
    void forget_topic(const std::string& topic);
    // How many partitions this node tells it leads.
    size_t leading() const { return _mine.size(); }

    void start();
    runtime::awaitable<void> stop();

private:
    runtime::awaitable<void> run();
    void send(const std::vector<leadership>& what);

    raft::node_id _self;
    peer_list _peers;
    raft_transport _transport;
    options _options;
    // What this node leads, and the changes not sent yet.
    std::map<std::pair<std::string, int32_t>, leaders_table::leader> _mine;
    std::vector<leadership> _pending;
    boost::asio::steady_timer _timer;
    runtime::gate _running;
};

} // namespace cluster
