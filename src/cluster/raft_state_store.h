#pragma once

#include "raft/types.h"
#include "storage/kvstore.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cluster {

// Raft's own entries in a group's log (a leader's first entry, a
// configuration): where they are is what offset translation needs, and the
// configurations are the group's members, so both are known at start
// without reading the log.
struct own_entry {
    raft::log_index offset;
    // Set for a configuration entry.
    std::optional<raft::configuration> config;
    bool operator==(const own_entry&) const = default;
};
using own_entries = std::vector<own_entry>;

// What a Raft group keeps outside its log, in its shard's kvstore, under
// the group's name: the term and vote, and its own entries. Term and vote
// are appended without an fdatasync; the owner of the groups calls sync()
// once before it sends the messages of a round, so an election of many
// groups costs one fdatasync, not one per group. The own entries (one per
// election) are durable when save_own_entries returns, before the entry
// reaches the log.
class raft_state_store {
public:
    struct hard_state {
        raft::term_id term{0};
        raft::node_id voted_for{raft::no_node};
    };

    explicit raft_state_store(storage::kvstore& kv)
      : _kv(kv) {}

    hard_state load_hard_state(std::string_view group) const;
    storage::result<void> save_hard_state(std::string_view group, hard_state s);

    own_entries load_own_entries(std::string_view group) const;
    storage::result<void> save_own_entries(std::string_view group,
                                           const own_entries& entries);

    // Removes a group's state (its partition was deleted).
    storage::result<void> forget(std::string_view group);

    // Makes every save so far durable; a no-op when there is none.
    storage::result<void> sync();

    // The group a key of this store belongs to; none for another key.
    static std::optional<std::string_view> group_of_key(std::string_view key);

private:
    storage::kvstore& _kv;
    bool _unsynced{false};
};

} // namespace cluster
