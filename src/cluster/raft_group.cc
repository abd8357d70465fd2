#include "cluster/raft_group.h"

#include "base/logger.h"
#include "cluster/raft_entries.h"
#include "model/batch_walker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>

namespace cluster {
namespace {

base::logger log{"raft"};

// The runs of terms along the log, from its epochs: no entry is read.
raft::log_terms terms_of(const storage::disk_log& disk) {
    raft::log_terms terms;
    auto last = raft::log_index(disk.offsets().next_offset() - 1);
    const auto& epochs = disk.epochs().entries();
    for (size_t i = 0; i < epochs.size(); ++i) {
        auto end =
            i + 1 < epochs.size() ? raft::log_index(epochs[i + 1].start() - 1) : last;
        end = std::min(end, last);
        if (end > terms.last_index()) {
            terms.extend_to(term_of_epoch(epochs[i].epoch), end);
        }
    }
    if (last > terms.last_index()) {
        terms.extend_to(terms.last_term(), last);
    }
    return terms;
}

// The saved own entries the log still holds: a crash may keep a save
// whose entry never reached the disk, or lose the save that followed a
// truncation. Those before the log start (retention) cannot be checked and
// are kept: offsets above still count them.
own_entries held_entries(storage::disk_log& disk, own_entries saved) {
    auto offsets = disk.offsets();
    std::erase_if(saved, [&](const own_entry& e) {
        if (e.offset() >= offsets.next_offset()) {
            return true;
        }
        if (e.offset < offsets.log_start) {
            return false;
        }
        auto read = disk.read(e.offset, 1, e.offset);
        if (!read || read->first_offset != e.offset) {
            return true;
        }
        model::batch_walker walker(std::move(read->data));
        auto batch = walker.next();
        if (!batch || !*batch || !is_raft_entry(**batch)) {
            return true;
        }
        auto type = entry_of(**batch).type;
        return (type == raft::entry_type::configuration) != e.config.has_value();
    });
    return saved;
}

replicate_errc from_storage(storage::errc e) {
    switch (e) {
        case storage::errc::out_of_order_sequence:
            return replicate_errc::out_of_order_sequence;
        case storage::errc::invalid_producer_epoch:
            return replicate_errc::invalid_producer_epoch;
        case storage::errc::invalid_txn_state:
            return replicate_errc::invalid_txn_state;
        default:
            return replicate_errc::storage_error;
    }
}

// Whether every entry of an append is what it claims: data entries one
// valid batch over their offsets (its CRC checked), Raft's own entries
// within bounds. The core never sees entries the log could not store.
bool entries_valid(const raft::append_request& r) {
    auto at = raft::log_index(r.prev_index() + 1);
    for (const auto& e : r.entries) {
        if (e.offsets < 1 || !batch_of(e, at)) {
            return false;
        }
        at = raft::log_index(at() + e.offsets);
    }
    return true;
}

} // namespace

raft_group::raft_group(settings s, storage::log_manager::managed& log,
                       raft_state_store& state, raft::outbox& outbox,
                       boost::asio::any_io_executor shard)
  : _settings(std::move(s))
  , _log(log)
  , _state(state)
  , _outbox(outbox)
  , _shard(shard)
  , _work(shard) {
    auto& disk = *_log.log;
    auto hard = _state.load_hard_state(_settings.name);
    auto saved = _state.load_own_entries(_settings.name);
    _own = held_entries(disk, saved);
    std::vector<std::pair<raft::log_index, raft::configuration>> configs;
    for (const auto& e : _own) {
        _translator.add_gap(e.offset);
        if (e.config) {
            configs.emplace_back(e.offset, *e.config);
        }
    }
    raft::durable_state durable{hard.term, hard.voted_for, terms_of(disk),
                                _settings.initial, std::move(configs)};
    _core = std::make_unique<raft::consensus>(_settings.self, std::move(durable),
                                              _settings.options);
    // Nothing is known committed until a leader says so.
    _log.cleanable_up_to = raft::no_index;
    if (_own != saved) {
        // Stale entries go for good: once retention passes their offsets
        // they could no longer be told from real ones.
        auto r = _state.save_own_entries(_settings.name, _own);
        if (!r) {
            fail(fmt::format("saving Raft's entries: {}", r.message()));
        }
    }
}

raft_group::~raft_group() = default;

void raft_group::start() {
    const auto& voters = _core->config().voters;
    if (voters.size() == 1 && voters.front() == _settings.self) {
        _core->campaign();
        drain();
    }
}

void raft_group::tick() {
    if (_failed || _stopping) {
        return;
    }
    // A lone voter that leads has no one to hear from or to heartbeat:
    // its ticks would change nothing, and a node has many such groups.
    if (lone_leader()) {
        return;
    }
    _core->tick();
    drain();
}

void raft_group::receive(raft::envelope in) {
    if (_failed || _stopping) {
        return;
    }
    if (const auto* a = std::get_if<raft::append_request>(&in.msg);
        a && !entries_valid(*a)) {
        log.warn("{}: dropped an append from node {} with malformed entries",
                 _settings.name, in.from());
        return;
    }
    _core->receive(in);
    drain();
}

void raft_group::drain() {
    for (auto effects = _core->take_effects(); !effects.empty() && !_failed;
         effects = _core->take_effects()) {
        for (auto& e : effects) {
            if (_failed) {
                break;
            }
            if (auto* s = std::get_if<raft::send_message>(&e)) {
                _outbox.post(_settings.id, std::move(s->out));
            } else if (auto* h = std::get_if<raft::save_state>(&e)) {
                auto saved =
                    _state.save_hard_state(_settings.name, {h->term, h->voted_for});
                if (!saved) {
                    fail(fmt::format("saving term {}: {}", h->term(), saved.message()));
                }
            } else if (auto* p = std::get_if<raft::persist>(&e)) {
                write(*p);
            } else if (auto* r = std::get_if<raft::read_entries>(&e)) {
                read(*r);
            } else if (auto* c = std::get_if<raft::committed>(&e)) {
                commit_moved(c->commit);
            }
        }
    }
    settle_waiters();
    report_leadership();
}

void raft_group::report_leadership() {
    if (_core->leader() == _reported_leader && _core->term() == _reported_term) {
        return;
    }
    _reported_leader = _core->leader();
    _reported_term = _core->term();
    if (_leadership_listener) {
        _leadership_listener();
    }
}

// Raft's own entries of a write, at the offsets they will have.
own_entries raft_group::own_entries_of(const raft::persist& p) const {
    own_entries added;
    auto at =
        p.truncate_from.value_or(raft::log_index(_log.log->offsets().next_offset()));
    for (const auto& e : p.entries) {
        if (e.type != raft::entry_type::data) {
            own_entry own{at, std::nullopt};
            if (e.type == raft::entry_type::configuration) {
                own.config = raft::decode_configuration(e.data);
            }
            added.push_back(std::move(own));
        }
        at = raft::log_index(at() + e.offsets);
    }
    return added;
}

bool raft_group::save_own(own_entries entries) {
    if (entries == _own) {
        return true;
    }
    auto saved = _state.save_own_entries(_settings.name, entries);
    if (!saved) {
        fail(fmt::format("saving Raft's entries: {}", saved.message()));
        return false;
    }
    _own = std::move(entries);
    return true;
}

void raft_group::write(raft::persist& p) {
    auto& disk = *_log.log;
    // Raft's new entries are listed durably before the log holds them;
    // those a truncation removes stay listed until it is done (a crash in
    // between must not leave the log with entries the list lacks: start
    // drops the listed ones the log does not hold as such).
    auto added = own_entries_of(p);
    if (!added.empty()) {
        auto listed = _own;
        std::erase_if(listed, [&](const own_entry& e) {
            return std::any_of(added.begin(), added.end(),
                               [&](const own_entry& a) { return a.offset == e.offset; });
        });
        listed.insert(listed.end(), added.begin(), added.end());
        std::sort(
            listed.begin(), listed.end(),
            [](const own_entry& a, const own_entry& b) { return a.offset < b.offset; });
        if (!save_own(std::move(listed))) {
            return;
        }
    }
    if (p.truncate_from) {
        // Only a follower truncates, and a follower has no proposals.
        auto truncated = disk.truncate(*p.truncate_from);
        if (!truncated) {
            fail(fmt::format("truncating at {}: {}", *p.truncate_from,
                             truncated.message()));
            return;
        }
        _translator.truncate(*p.truncate_from);
    }
    auto at = raft::log_index(disk.offsets().next_offset());
    for (auto& e : p.entries) {
        std::optional<model::record_batch> batch;
        if (auto it = _proposed.find(at); it != _proposed.end()) {
            batch.emplace(std::move(it->second));
            _proposed.erase(it);
            batch->set_base_offset(at);
            batch->set_partition_leader_epoch(epoch_of_term(e.term));
        } else {
            batch = batch_of(e, at);
        }
        if (!batch) {
            fail(fmt::format("the entry at {} is not a record batch", at));
            return;
        }
        auto appended = disk.append_exact(*batch);
        if (!appended) {
            fail(fmt::format("appending at {}: {}", at, appended.message()));
            return;
        }
        if (e.type != raft::entry_type::data) {
            _translator.add_gap(at, e.offsets);
        }
        at = raft::log_index(at() + e.offsets);
    }
    if (lone_leader() && _commit_listener) {
        _commit_listener(); // its high watermark is its log end
    }
    if (p.truncate_from) {
        auto kept = _own;
        std::erase_if(kept, [&](const own_entry& e) {
            return e.offset >= *p.truncate_from
                && std::none_of(added.begin(), added.end(),
                                [&](const own_entry& a) { return a.offset == e.offset; });
        });
        if (!save_own(std::move(kept))) {
            return;
        }
    }
    flush_then_report(p.id);
}

void raft_group::flush_then_report(uint64_t id) {
    if (!_work.try_enter()) {
        return;
    }
    boost::asio::co_spawn(
        _shard,
        [this, id]() -> runtime::awaitable<void> {
            runtime::gate_holder hold(_work);
            auto flushed = co_await _log.flusher->flush();
            if (_failed || _stopping) {
                co_return;
            }
            if (!flushed) {
                fail(fmt::format("flushing: {}", flushed.message()));
                co_return;
            }
            _core->persisted(id);
            drain();
        },
        boost::asio::detached);
}

void raft_group::read(const raft::read_entries& r) {
    std::vector<raft::entry> entries;
    raft::log_index first = r.from;
    auto data = _log.log->read(r.from, _settings.max_read_bytes, r.to);
    if (data && data->batch_count > 0) {
        first = data->first_offset;
        model::parse_options options;
        options.verify_records = false;
        model::batch_walker walker(std::move(data->data), options);
        while (static_cast<int64_t>(entries.size()) < r.max_entries) {
            auto batch = walker.next();
            if (!batch || !*batch || (*batch)->base_offset() > r.to) {
                break;
            }
            entries.push_back(entry_of(**batch));
        }
    } else if (!data) {
        // Below the log start (retention) or a failed read: nothing is
        // sent now; the core asks again.
        log.debug("{}: reading entries at {}: {}", _settings.name, r.from,
                  data.message());
    }
    _core->read_done(r.token, first, std::move(entries));
}

void raft_group::commit_moved(raft::log_index commit) {
    _log.cleanable_up_to = commit;
    if (_commit_listener) {
        _commit_listener();
    }
}

void raft_group::settle_waiters() {
    for (auto& w : _waiters) {
        if (w.done) {
            continue;
        }
        if (_failed) {
            w.error = replicate_errc::storage_error;
        } else if (_stopping) {
            w.error = replicate_errc::shutting_down;
        } else if (!is_leader() || term() != w.term) {
            w.error = replicate_errc::not_leader;
        } else if (_core->commit_index() < w.last) {
            continue;
        }
        w.done = true;
        w.wake->set();
    }
}

runtime::awaitable<base::result<storage::append_result, replicate_errc>>
raft_group::replicate(model::record_batch batch, replicate_ack ack) {
    using outcome = base::result<storage::append_result, replicate_errc>;
    if (_failed || _stopping) {
        co_return base::make_error(_failed ? replicate_errc::storage_error
                                           : replicate_errc::shutting_down);
    }
    if (!is_leader()) {
        co_return base::make_error(replicate_errc::not_leader);
    }
    auto term = _core->term();
    auto checked = _log.log->check_producer(batch.header());
    if (!checked) {
        co_return base::make_error(from_storage(checked.code()), checked.message());
    }
    if (*checked) {
        // A retry of a batch in the log: answered once it commits.
        if (ack == replicate_ack::leader) {
            co_return outcome(**checked);
        }
        auto committed = co_await wait_commit(**checked, term);
        co_return committed;
    }
    auto offsets = batch.header().last_offset_delta + 1;
    auto index = _core->propose(batch.data().share(), offsets);
    if (!index) {
        co_return base::make_error(replicate_errc::not_leader);
    }
    _proposed.emplace(*index, std::move(batch));
    drain();
    if (_failed) {
        co_return base::make_error(replicate_errc::storage_error);
    }
    storage::append_result appended{*index, model::offset((*index)() + offsets - 1)};
    if (ack == replicate_ack::leader) {
        co_return outcome(appended);
    }
    auto committed = co_await wait_commit(appended, term);
    co_return committed;
}

runtime::awaitable<base::result<storage::append_result, replicate_errc>>
raft_group::wait_commit(storage::append_result appended, raft::term_id term) {
    auto& w =
        _waiters.emplace_back(waiter{term, appended.last_offset, std::nullopt, false,
                                     std::make_unique<runtime::event>(_shard)});
    settle_waiters();
    co_await w.wake->wait();
    auto error = w.error;
    _waiters.remove_if([&](const waiter& x) { return &x == &w; });
    if (error) {
        co_return base::make_error(*error);
    }
    co_return appended;
}

void raft_group::fail(const std::string& why) {
    log.error("{}: {}; the group stops until its log is reopened", _settings.name, why);
    _failed = true;
    _proposed.clear();
    settle_waiters();
}

runtime::awaitable<void> raft_group::stop() {
    _stopping = true;
    settle_waiters();
    co_await _work.close();
}

} // namespace cluster
