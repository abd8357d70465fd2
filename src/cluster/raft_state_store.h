#pragma once

#include "raft/outbox.h"
#include "raft/types.h"
#include "storage/kvstore.h"

#include <optional>
#include <utility>
#include <vector>

namespace cluster {

// What a Raft group keeps outside its log, in its shard's kvstore: the term
// and vote, and the configuration entries its log holds after the
// configuration it was created with (so a restart finds them without
// reading the log). Term and vote are appended without an fdatasync; the
// owner of the groups calls sync() once before it sends the messages of a
// round, so an election of many groups costs one fdatasync, not one per
// group. Configurations (rare) are durable when save_configs returns.
class raft_state_store {
public:
    struct hard_state {
        raft::term_id term{0};
        raft::node_id voted_for{raft::no_node};
    };
    using log_configs = std::vector<std::pair<raft::log_index, raft::configuration>>;

    explicit raft_state_store(storage::kvstore& kv)
      : _kv(kv) {}

    hard_state load_hard_state(raft::group_id group) const;
    storage::result<void> save_hard_state(raft::group_id group, hard_state s);

    log_configs load_configs(raft::group_id group) const;
    storage::result<void> save_configs(raft::group_id group, const log_configs& configs);

    // Removes a group's state (its partition was deleted).
    storage::result<void> forget(raft::group_id group);

    // Makes every save so far durable; a no-op when there is none.
    storage::result<void> sync();
    bool needs_sync() const { return _unsynced; }

private:
    storage::kvstore& _kv;
    bool _unsynced{false};
};

} // namespace cluster
