#pragma once

#include "cluster/raft_group.h"
#include "cluster/raft_state_store.h"
#include "cluster/raft_transport.h"
#include "raft/outbox.h"
#include "runtime/gate.h"
#include "runtime/smp.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <unordered_map>

namespace cluster {

// Runs a set of Raft groups on one shard: ticks them, hands them peers'
// messages, and sends theirs in rounds. A round syncs the state store
// (a saved term or vote is durable before any message that follows it
// leaves) and then sends the outbox's batches, one per peer across all the
// groups, through the transport. Rounds follow every tick, every batch
// received, and come soon after a group posts a message between ticks.
class raft_host {
public:
    raft_host(boost::asio::any_io_executor shard, raft::node_id self,
              std::chrono::milliseconds tick, peer_directory peers);
    raft_host(const raft_host&) = delete;
    raft_host& operator=(const raft_host&) = delete;

    // The store the groups save terms and votes in; before the first round.
    void use_state(raft_state_store& state) { _state = &state; }
    raft::outbox& outbox() { return _outbox; }

    void add(raft_group& group) { _groups[group.id()()] = &group; }
    void remove(raft::group_id id) { _groups.erase(id()); }
    // A peer's batch; messages for groups not run here are dropped (a
    // deleted partition, a peer ahead of this node's metadata).
    void receive(raft::batch b);
    void round();

    void start();
    // Stops ticking and sending; the groups are their owners' to stop.
    runtime::awaitable<void> stop();

private:
    runtime::awaitable<void> run_ticks();
    void schedule_round();

    boost::asio::any_io_executor _shard;
    std::chrono::milliseconds _tick;
    raft::outbox _outbox;
    raft_transport _transport;
    raft_state_store* _state{nullptr};
    std::unordered_map<int64_t, raft_group*> _groups;
    boost::asio::steady_timer _tick_timer;
    runtime::gate _ticking;
    bool _round_scheduled{false};
    bool _stopping{false};
};

} // namespace cluster
