#pragma once

#include "base/iobuf.h"
#include "model/fundamental.h"

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

// The vocabulary of the Raft core: entries, the messages peers exchange and
// the effects the core asks its driver to carry out. Plain values: the core
// never touches a clock, a socket or a file.

namespace raft {

using model::node_id;
using model::term_id;
// A position in the Raft log: the partition's raw offset (Raft's own entries
// included; Kafka's offsets are translated above).
using log_index = model::offset;

inline constexpr log_index no_index{-1};
inline constexpr node_id no_node{-1};

enum class entry_type : int8_t {
    data,
    // A new leader's first entry: it commits what earlier terms left.
    leader_start,
    // The group's members from this entry on (data: encode_configuration).
    configuration,
};

// Who takes part: voters elect and form majorities; learners only receive
// entries (a new member catches up as a learner before it votes).
struct configuration {
    std::vector<node_id> voters;
    std::vector<node_id> learners;

    bool is_voter(node_id n) const;
    bool is_member(node_id n) const;
    // At least one voter, and nobody listed twice.
    bool valid() const;
    bool operator==(const configuration&) const = default;
};

base::iobuf encode_configuration(const configuration& c);
// None when the bytes are not a configuration.
std::optional<configuration> decode_configuration(const base::iobuf& data);

// One entry of the log. It takes `offsets` consecutive positions (a Kafka
// record batch: one per record); its index is its first.
struct entry {
    term_id term;
    entry_type type{entry_type::data};
    base::iobuf data;
    int32_t offsets{1};

    entry share() const { return entry{term, type, data.share(), offsets}; }
    bool operator==(const entry&) const = default;
};

std::vector<entry> share_all(const std::vector<entry>& entries);

// Asks for votes; with pre_vote, only whether votes would be given (the
// term is the one the candidate would take, and nobody adopts it).
struct vote_request {
    term_id term;
    log_index last_index;
    term_id last_term;
    bool pre_vote{false};
    // Sent on a leadership transfer: voters do not wait out the old leader.
    bool transfer{false};
};

struct vote_reply {
    term_id term;
    bool granted{false};
    bool pre_vote{false};
};

// Entries after prev_index (none for a heartbeat), and the leader's commit
// index, which the follower adopts as far as it matches the leader's log.
struct append_request {
    term_id term;
    log_index prev_index;
    term_id prev_term;
    std::vector<entry> entries;
    log_index commit;
};

// On success, last_index is the last index the follower now shares with the
// leader and flushed how far of that is on its disk. On failure, hint is
// where the leader should try next.
struct append_reply {
    term_id term;
    bool success{false};
    log_index last_index{no_index};
    log_index flushed{no_index};
    log_index hint{no_index};
};

// A leadership transfer's last step: the target starts an election now.
struct timeout_now {
    term_id term;
};

using message =
    std::variant<vote_request, vote_reply, append_request, append_reply, timeout_now>;

struct envelope {
    node_id from;
    node_id to;
    message msg;
};

// What the driver must do, in the order given.

// Deliver to a peer (it may be lost: the core retries).
struct send_message {
    envelope out;
};

// The term and vote, durable before any later send of the same batch.
struct save_state {
    term_id term;
    node_id voted_for;
};

// Removes the entries from `truncate_from` on (if set), then appends
// `entries`; completion (persisted(id)) means this request and all before
// it are on disk.
struct persist {
    uint64_t id;
    std::optional<log_index> truncate_from;
    std::vector<entry> entries;
};

// Reads entries for a peer, from the one holding offset `from` (a
// follower's hint need not fall on the leader's entry boundaries):
// consecutive, at most max_entries, none past `to`. Completion is
// read_done(token, first entry's offset, entries).
struct read_entries {
    uint64_t token;
    log_index from;
    log_index to;
    int64_t max_entries;
};

// The commit index (Kafka's high watermark) moved forward.
struct committed {
    log_index commit;
};

using effect = std::variant<send_message, save_state, persist, read_entries, committed>;

} // namespace raft
