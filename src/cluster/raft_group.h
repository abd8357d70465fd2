#pragma once

#include "base/result.h"
#include "cluster/raft_state_store.h"
#include "raft/consensus.h"
#include "raft/offset_translator.h"
#include "raft/outbox.h"
#include "runtime/event.h"
#include "runtime/gate.h"
#include "runtime/smp.h"
#include "storage/log_manager.h"

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>

namespace cluster {

// Why replicate() did not take a batch, or cannot say it committed.
enum class replicate_errc {
    // This replica does not lead the partition, or stopped leading it
    // before the batch committed (it may still commit: an idempotent
    // producer's retry finds it).
    not_leader,
    // The producer checks (storage/producer_state.h).
    out_of_order_sequence,
    invalid_producer_epoch,
    invalid_txn_state,
    // The log failed (I/O, full disk, corruption): the group has stopped.
    storage_error,
    shutting_down,
};

// When replicate() answers: once the leader appended the batch (acks=1), or
// once a majority has it flushed, which commits it (acks=all).
enum class replicate_ack { leader, majority };

// Runs one Raft group (a partition) on the shard that owns its log: the
// driver of a raft::consensus over the partition's disk_log, which is the
// Raft log (docs/rfcs/20261205_raft.md). It writes the core's entries as
// record batches (cluster/raft_entries.h) with their terms as partition
// leader epochs, reports the flusher's completions back, reads entries
// for followers from the log, keeps the term and vote in the shard's
// kvstore and posts messages to the shard's outbox.
//
// The owner of a shard's groups ticks them, hands them their messages and,
// after each round, calls raft_state_store::sync() before it sends the
// outbox: a saved term or vote is durable before any message that follows
// it leaves the node.
//
// A failed write stops the group (failed()): the log refuses writes until
// reopened, and Raft must not count entries it may not have.
class raft_group {
public:
    struct settings {
        // The group on the wire, and its name in the state store.
        raft::group_id id;
        std::string name;
        raft::node_id self;
        // The members the group was created with.
        raft::configuration initial;
        raft::options options;
        // Bytes read from the log for one append request to a follower.
        size_t max_read_bytes{1 << 20};
    };

    raft_group(settings s, storage::log_manager::managed& log, raft_state_store& state,
               raft::outbox& outbox, boost::asio::any_io_executor shard);
    ~raft_group();
    raft_group(const raft_group&) = delete;
    raft_group& operator=(const raft_group&) = delete;

    // A group whose only voter is this node leads at once; others wait for
    // their election timeout.
    void start();
    void tick();
    // A peer's message. An append whose entries are not valid batches (a
    // peer's garbage) is dropped whole, logged.
    void receive(raft::envelope in);

    // Appends a producer's batch as the leader (offsets assigned, the term
    // stamped) after the producer checks; a producer's retry of a batch in
    // the log answers with the original's offsets (duplicate set).
    runtime::awaitable<base::result<storage::append_result, replicate_errc>> replicate(
        model::record_batch batch, replicate_ack ack);

    // Fails every waiting replicate() and waits for the flushes in flight.
    runtime::awaitable<void> stop();

    raft::group_id id() const { return _settings.id; }
    bool is_leader() const { return _core->current_role() == raft::role::leader; }
    raft::node_id leader() const { return _core->leader(); }
    raft::term_id term() const { return _core->term(); }
    // Kafka's high watermark, in raw offsets: one past the commit index;
    // for a lone voter that leads, its log end. Kafka shows a batch once
    // every in-sync replica has appended it, flushed or not; a lone
    // leader's append is on all of them (acks=all still waits for the
    // flush).
    model::offset high_watermark() const {
        return model::offset(
            (lone_leader() ? _core->last_index() : _core->commit_index())() + 1);
    }
    bool lone_leader() const {
        const auto& config = _core->config();
        return is_leader() && config.voters.size() == 1 && config.learners.empty();
    }
    bool failed() const { return _failed; }
    // The replicas in sync with this leader, itself included (Kafka's ISR
    // size); 0 when it does not lead.
    size_t in_sync_replicas() const { return _core->in_sync_voters(); }
    size_t voters() const { return _core->config().voters.size(); }
    const raft::consensus& core() const { return *_core; }
    // Where Raft's own entries sit in the log: Kafka offsets skip them.
    const raft::offset_translator& translator() const { return _translator; }
    const own_entries& own() const { return _own; }
    // Called whenever the commit index moves (consumers may read further).
    void on_commit(std::function<void()> listener) {
        _commit_listener = std::move(listener);
    }
    // Called whenever the leader or the term this node knows changes.
    void on_leadership(std::function<void()> listener) {
        _leadership_listener = std::move(listener);
    }

private:
    struct waiter {
        raft::term_id term;
        raft::log_index last;
        std::optional<replicate_errc> error;
        bool done{false};
        std::unique_ptr<runtime::event> wake;
    };

    void drain();
    void write(raft::persist& p);
    void flush_then_report(uint64_t id);
    void read(const raft::read_entries& r);
    void commit_moved(raft::log_index commit);
    own_entries own_entries_of(const raft::persist& p) const;
    // Saves the list of Raft's own entries durably; false (the group
    // failed) when it could not.
    bool save_own(own_entries entries);
    void settle_waiters();
    void report_leadership();
    runtime::awaitable<base::result<storage::append_result, replicate_errc>> wait_commit(
        storage::append_result appended, raft::term_id term);
    void fail(const std::string& why);

    settings _settings;
    storage::log_manager::managed& _log;
    raft_state_store& _state;
    raft::outbox& _outbox;
    boost::asio::any_io_executor _shard;
    std::unique_ptr<raft::consensus> _core;
    // Raft's own entries in the log, as saved, and the translation they make.
    own_entries _own;
    raft::offset_translator _translator;
    std::function<void()> _commit_listener;
    std::function<void()> _leadership_listener;
    raft::node_id _reported_leader{raft::no_node};
    raft::term_id _reported_term{-1};
    // The leader's own batches between propose() and their write.
    std::map<raft::log_index, model::record_batch> _proposed;
    std::list<waiter> _waiters;
    // Flushes in flight: stop() waits for them.
    runtime::gate _work;
    bool _failed{false};
    bool _stopping{false};
};

} // namespace cluster
