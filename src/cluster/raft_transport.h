#pragma once

#include "cluster/members_table.h"
#include "raft/outbox.h"
#include "rpc/client.h"
#include "runtime/gate.h"
#include "runtime/smp.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cluster {

// The internal RPC method that carries a batch of Raft messages
// (raft::encode_batch); its answer is empty.
inline constexpr uint16_t raft_batch_method = 1;

// Where a peer's internal RPC listens.
using peer_address = node_address;
// A peer's address as this node knows it; none for a node it does not.
using peer_directory = std::function<std::optional<peer_address>(raft::node_id)>;

// Carries one shard's Raft batches (and other one-way messages) to their
// peers over the internal RPC, one connection per peer from this shard. Sending never waits: a batch
// that cannot go (the peer unknown, unreachable, or not answering) is
// dropped, as a lost packet, and Raft sends again. After a failure the
// peer is left alone for a while, growing up to a second, so a dead node
// does not cost a connection attempt per tick.
class raft_transport {
public:
    struct options {
        std::chrono::milliseconds call_timeout{2000};
        std::chrono::milliseconds first_backoff{50};
        std::chrono::milliseconds max_backoff{1000};
    };

    raft_transport(boost::asio::any_io_executor shard, peer_directory peers, options o);
    raft_transport(boost::asio::any_io_executor shard, peer_directory peers)
      : raft_transport(std::move(shard), std::move(peers), options{}) {}
    ~raft_transport();
    raft_transport(const raft_transport&) = delete;
    raft_transport& operator=(const raft_transport&) = delete;

    void send(const raft::batch& b);
    // Any one-way message: a call of `method` whose answer only tells
    // whether the peer is reachable.
    void send(raft::node_id to, uint16_t method, base::iobuf payload);
    // Closes every connection and waits for the calls in flight.
    runtime::awaitable<void> stop();

private:
    using clock = std::chrono::steady_clock;
    struct peer {
        peer_address address;
        std::unique_ptr<rpc::client> client;
        clock::time_point quiet_until{};
        std::chrono::milliseconds backoff{0};
    };
    peer* peer_for(raft::node_id id);
    // The peer, with the gate entered for a call to it; null when the
    // message is to be dropped (unknown, left alone, or stopping).
    peer* ready(raft::node_id to);
    runtime::awaitable<void> deliver(raft::node_id to, peer* p, uint16_t method,
                                     base::iobuf payload);

    boost::asio::any_io_executor _shard;
    peer_directory _peers;
    options _options;
    std::map<raft::node_id, std::unique_ptr<peer>> _links;
    // Clients of peers whose address changed, closed, kept until stop():
    // their failed calls may still be finishing.
    std::vector<std::unique_ptr<rpc::client>> _retired;
    runtime::gate _calls;
};

} // namespace cluster
