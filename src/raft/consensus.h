#pragma once

#include "raft/log_terms.h"
#include "raft/types.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace raft {

enum class role : int8_t { follower, pre_candidate, candidate, leader };

struct options {
    // A follower that hears no leader for between this and twice this many
    // ticks starts an election (pre-vote first).
    int election_timeout_ticks{10};
    int heartbeat_ticks{2};
    // Batching and pipelining: entries per append request, and append
    // requests in flight per follower.
    int64_t max_entries_per_append{64};
    int max_in_flight{4};
    // Seeds the election timeout jitter: the same seed, the same run.
    uint64_t seed{1};
    // Deliberate bugs, for the simulator to prove it catches them.
    bool bug_commit_without_majority{false};
    bool bug_vote_twice{false};
};

// What a node remembers across restarts.
struct durable_state {
    term_id term{0};
    node_id voted_for{no_node};
    // The terms along the log (the payloads stay on disk).
    log_terms log;
    // The members the group was created with, and the configuration
    // entries of the log after that, in order.
    configuration config;
    std::vector<std::pair<log_index, configuration>> log_configs;
};

// One Raft group's consensus on one node, as a deterministic state machine:
// it consumes ticks, peers' messages and the completions of the I/O it
// asked for, and produces effects (messages, writes, reads) for its driver.
// Leader election with pre-vote and check-quorum, replication with
// batching and pipelining, commit on a majority's flushed entries,
// followers' recovery from any lag or divergence, leadership transfer, and
// membership changes one server at a time (docs/rfcs/20261205_raft.md).
class consensus {
public:
    consensus(node_id self, durable_state state, options opts);

    void tick();
    // Starts a pre-vote now rather than at the election timeout: a lone
    // voter leads at once (a partition of one replica is writable as soon
    // as it opens).
    void campaign();
    void receive(const envelope& in);
    // The driver's completions.
    void persisted(uint64_t id);
    void read_done(uint64_t token, log_index first, std::vector<entry> entries);

    // Appends `data` (taking `offsets` positions: a batch's records) as the
    // leader; the index it will have, or none when this node is not (or is
    // handing over) the leader.
    std::optional<log_index> propose(base::iobuf data, int32_t offsets = 1);
    // Hands leadership to `target` once it has every entry.
    bool transfer_leadership(node_id target);
    // Appends a new configuration as the leader: voters may differ from
    // the current ones by one node at most, and the previous change must be
    // committed (as must an entry of this term). Learners change freely.
    std::optional<log_index> propose_configuration(configuration next);

    // The effects produced since the last call, in order.
    std::vector<effect> take_effects();

    node_id self() const { return _self; }
    role current_role() const { return _role; }
    term_id term() const { return _term; }
    node_id leader() const { return _leader; }
    log_index commit_index() const { return _commit; }
    log_index last_index() const { return _log.last_index(); }
    log_index flushed_index() const { return _flushed; }
    // As the leader, the voters in sync (Kafka's ISR): itself, and those
    // that answered within an election timeout and have every committed
    // entry. 0 on a node that does not lead.
    size_t in_sync_voters() const;
    const log_terms& log() const { return _log; }
    // The configuration in effect: the last one in the log, committed or not.
    const configuration& config() const;

private:
    struct progress {
        log_index next{0};
        log_index match{no_index};
        log_index flushed{no_index};
        int in_flight{0};
        // A read of entries for it is under way (one at a time: where the
        // next starts is known once it is done).
        bool reading{false};
        // Bumped when the follower is reset: reads issued before are stale.
        uint64_t generation{0};
        int ticks_since_ack{0};
        bool heard{false};
        // Ticks since it last answered (in-sync replicas).
        int ticks_since_heard{0};
    };
    struct pending_read {
        node_id peer;
        uint64_t generation;
        term_id term;
        log_index from;
    };
    struct pending_persist {
        uint64_t id;
        std::optional<log_index> truncate_from;
        log_index last;
    };

    bool is_voter(node_id n) const { return config().is_voter(n); }
    size_t quorum() const { return config().voters.size() / 2 + 1; }
    void track_configuration(log_index at, const entry& e);
    bool may_campaign() const;
    bool votes_won() const;
    void sync_progress();
    void reset_election_timer();
    void emit(effect e) { _effects.push_back(std::move(e)); }
    void send_to(node_id to, message m);
    void save();

    void become_follower(term_id term, node_id leader);
    void start_pre_vote();
    void start_election(bool transfer);
    void become_leader();
    void step_down_if_newer(node_id from, const message& m);

    void on_vote_request(node_id from, const vote_request& r);
    void on_vote_reply(node_id from, const vote_reply& r);
    void on_append_request(node_id from, const append_request& r);
    static bool well_formed(const append_request& r);
    void on_append_reply(node_id from, const append_reply& r);
    void on_timeout_now(const timeout_now& r);

    bool log_up_to_date(log_index last_index, term_id last_term) const;
    void append_local(std::optional<log_index> truncate_from, std::vector<entry> entries);
    void replicate(node_id peer);
    void replicate_all();
    void heartbeat();
    void reset_progress(progress& p, log_index next);
    void advance_commit();
    void set_commit(log_index commit);
    void check_quorum();
    void maybe_finish_transfer(node_id peer);

    node_id _self;
    configuration _base_config;
    std::vector<std::pair<log_index, configuration>> _configs;
    options _opts;
    uint64_t _rng;

    role _role{role::follower};
    term_id _term{0};
    node_id _voted_for{no_node};
    node_id _leader{no_node};
    log_terms _log;
    log_index _commit{no_index};
    // The last index whose prefix of the current log is on disk.
    log_index _flushed{no_index};
    // Follower: the last index known to match the current leader's log.
    log_index _verified{no_index};

    int _election_elapsed{0};
    int _election_timeout{0};
    int _heartbeat_elapsed{0};
    int _quorum_elapsed{0};
    std::set<node_id> _votes;

    std::map<node_id, progress> _progress;
    std::map<uint64_t, pending_read> _reads;
    std::deque<pending_persist> _persists;
    uint64_t _next_persist{1};
    uint64_t _next_token{1};
    std::optional<node_id> _transfer_target;
    int _transfer_elapsed{0};

    std::vector<effect> _effects;
};

} // namespace raft
