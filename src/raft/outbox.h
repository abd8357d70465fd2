#pragma once

#include "base/named_type.h"
#include "raft/types.h"

#include <cstddef>
#include <functional>
#include <map>
#include <vector>

namespace raft {

// A node's Raft groups (one per partition) are told apart on the wire by
// their group id.
using group_id = base::named_type<int64_t, struct group_id_tag>;

struct group_message {
    group_id group;
    message msg;
};

// What one node sends another in one go: the messages of every group the
// two share, produced since the last flush.
struct batch {
    node_id from;
    node_id to;
    std::vector<group_message> messages;
};

// Batches a node's outgoing Raft messages per peer, across all its groups:
// a tick of 1,000 idle partitions becomes one heartbeat batch per peer, not
// 1,000 messages. A message with entries still travels in the batch of its
// tick; batches are split at max_messages so none grows without bound.
class outbox {
public:
    explicit outbox(node_id self, size_t max_messages = 4096);

    void post(group_id group, envelope out);
    // The batches to send, peer by peer.
    std::vector<batch> flush();
    bool empty() const { return _pending.empty(); }
    // Called when a message lands in an empty outbox, so that its owner
    // sends it soon rather than at the next tick.
    void on_first_post(std::function<void()> f) { _on_first_post = std::move(f); }

private:
    node_id _self;
    size_t _max_messages;
    std::map<node_id, std::vector<batch>> _pending;
    std::function<void()> _on_first_post;
};

} // namespace raft
