#include "kafka/server/txn/txn_manager.h"

#include "base/logger.h"
#include "cluster/partition_manager.h"
#include "kafka/server/coordinator_log.h"
#include "runtime/when_all.h"
#include "storage/log_manager.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <limits>

namespace kafka::txn {
namespace {

base::logger log{"txn"};

// How often timed-out transactions are looked for when the configured
// interval is longer; and how often expired ids are.
constexpr auto id_expiry_interval_ms = int64_t{3600} * 1000;
// How long a producer's first write to a partition waits for its previous
// transaction to finish ending before it is told to retry.
constexpr auto implicit_add_wait = std::chrono::seconds(5);

constexpr std::array<std::string_view, 8> status_names{
    "Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
    "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence"};

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool is_prepare(txn_status s) {
    return s == txn_status::prepare_commit || s == txn_status::prepare_abort
        || s == txn_status::prepare_epoch_fence;
}

bool is_complete(txn_status s) {
    return s == txn_status::empty || s == txn_status::complete_commit
        || s == txn_status::complete_abort;
}

protocol::transaction_log_value to_value(const txn_metadata& m) {
    protocol::transaction_log_value v;
    v.producer_id = m.producer_id;
    v.previous_producer_id = m.previous_producer_id;
    v.next_producer_id = m.next_producer_id;
    v.producer_epoch = m.epoch;
    v.transaction_timeout_ms = m.timeout_ms;
    v.transaction_status = static_cast<int8_t>(m.status);
    v.transaction_partitions.emplace();
    for (const auto& [topic, partition] : m.partitions) {
        auto& list = *v.transaction_partitions;
        if (list.empty() || list.back().topic != topic) {
            list.push_back({.topic = topic, .partition_ids = {}});
        }
        list.back().partition_ids.push_back(partition);
    }
    v.transaction_last_update_timestamp_ms = m.last_update_ms;
    v.transaction_start_timestamp_ms = m.start_ms;
    v.client_transaction_version = m.client_version;
    return v;
}

txn_metadata from_value(const protocol::transaction_log_value& v) {
    txn_metadata m;
    m.producer_id = v.producer_id;
    m.previous_producer_id = v.previous_producer_id;
    m.next_producer_id = v.next_producer_id;
    m.epoch = v.producer_epoch;
    m.timeout_ms = v.transaction_timeout_ms;
    m.status = static_cast<txn_status>(v.transaction_status);
    if (v.transaction_partitions) {
        for (const auto& t : *v.transaction_partitions) {
            for (auto p : t.partition_ids) {
                m.partitions.emplace(t.topic, p);
            }
        }
    }
    m.last_update_ms = v.transaction_last_update_timestamp_ms;
    m.start_ms = v.transaction_start_timestamp_ms;
    m.client_version = v.client_transaction_version;
    return m;
}

// Whether the producer must continue with a new id: its epoch cannot be
// bumped again (Kafka keeps the last one for a fence).
bool epoch_exhausted(int16_t epoch) {
    return epoch >= std::numeric_limits<int16_t>::max() - 1;
}

int16_t next_epoch(int16_t epoch) {
    return epoch < std::numeric_limits<int16_t>::max() ? static_cast<int16_t>(epoch + 1)
                                                       : epoch;
}

bool is_ended(txn_status s) {
    return s == txn_status::complete_commit || s == txn_status::complete_abort;
}

// What the producer continues with after its transaction ends.
producer_result granted(const txn_metadata& m) {
    if (m.next_producer_id >= 0) {
        return {error_code::none, m.next_producer_id, 0};
    }
    return {error_code::none, m.producer_id, m.epoch};
}

// Transaction version 2: an EndTxn that timed out is sent again with the
// epoch its transaction had, one before the bumped one the prepare record
// holds (or, once an exhausted epoch handed over, with the old id).
bool is_retried_end(const txn_metadata& m, int64_t producer_id, int16_t epoch) {
    if (m.client_version < 2 || !(is_prepare(m.status) || is_ended(m.status))) {
        return false;
    }
    if (producer_id == m.producer_id) {
        return epoch == m.epoch - 1;
    }
    return is_ended(m.status) && producer_id == m.previous_producer_id;
}

// Transaction version 1's answers to an EndTxn outside an open
// transaction: the same decision again is a retry, anything else is wrong.
error_code end_without_ongoing(txn_status status, bool commit) {
    switch (status) {
        case txn_status::complete_commit:
            return commit ? error_code::none : error_code::invalid_txn_state;
        case txn_status::complete_abort:
            return commit ? error_code::invalid_txn_state : error_code::none;
        case txn_status::prepare_commit:
            return commit ? error_code::concurrent_transactions
                          : error_code::invalid_txn_state;
        case txn_status::prepare_abort:
            return commit ? error_code::invalid_txn_state
                          : error_code::concurrent_transactions;
        case txn_status::prepare_epoch_fence:
            return error_code::concurrent_transactions;
        case txn_status::ongoing:
        case txn_status::empty:
        case txn_status::dead:
            break;
    }
    return error_code::invalid_txn_state;
}

} // namespace

std::string_view to_string(txn_status s) {
    auto i = static_cast<size_t>(s);
    return i < status_names.size() ? status_names[i] : "Unknown";
}

std::optional<txn_status> status_named(std::string_view name) {
    for (size_t i = 0; i < status_names.size(); ++i) {
        if (status_names[i] == name) {
            return static_cast<txn_status>(i);
        }
    }
    return std::nullopt;
}

txn_manager::txn_manager(boost::asio::any_io_executor ex,
                         cluster::partition_manager& partitions, manager_config config,
                         txn_services services)
  : _ex(ex)
  , _partitions(partitions)
  , _config(config)
  , _services(std::move(services))
  , _ticker(ex)
  , _work(ex) {}

txn_manager::~txn_manager() = default;

void txn_manager::start() {
    _next_expiry_ms = now_ms() + id_expiry_interval_ms;
    if (_work.try_enter()) {
        boost::asio::co_spawn(_ex, run_ticks(), boost::asio::detached);
    }
}

runtime::awaitable<void> txn_manager::stop() {
    _stopping = true;
    _ticker.cancel();
    for (auto& [id, waiters] : _settling) {
        for (auto& t : waiters) {
            t->cancel();
        }
    }
    _settling.clear();
    co_await _work.close();
}

runtime::awaitable<void> txn_manager::run_ticks() {
    runtime::gate_holder hold(_work);
    // A crash between a transaction's prepare and complete records left
    // markers unwritten: the partitions this shard has are loaded now, and
    // their prepared transactions finished, rather than when first asked.
    for (int32_t p = 0; p < _config.state_partitions && !_stopping; ++p) {
        if (_partitions.get(state_topic, p) != nullptr) {
            co_await ensure_loaded(p);
        }
    }
    while (!_stopping) {
        _ticker.expires_after(_config.abort_check_interval);
        boost::system::error_code ec;
        co_await _ticker.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (_stopping) {
            break;
        }
        co_await abort_timed_out();
        if (now_ms() >= _next_expiry_ms) {
            _next_expiry_ms = now_ms() + id_expiry_interval_ms;
            co_await expire_ids();
        }
    }
}

runtime::awaitable<error_code> txn_manager::ensure_loaded(int32_t partition) {
    auto task = load_once(_loaded[partition].load, _ex, [this, partition] {
        auto e = replay(partition);
        if (e == error_code::none) {
            // A crash left these between prepare and complete: finish them.
            for (const auto& id : _loaded[partition].ids) {
                if (is_prepare(_txns[id].status)) {
                    start_completion(partition, id);
                }
            }
        }
        return e;
    });
    co_return co_await std::move(task);
}

error_code txn_manager::replay(int32_t partition) {
    auto* m = _partitions.get(state_topic, partition);
    if (m == nullptr) {
        return error_code::coordinator_not_available;
    }
    auto what = fmt::format("{}-{}", state_topic, partition);
    auto& ids = _loaded[partition].ids;
    auto records = replay_records(
        m->log(), what,
        [&](const model::record_batch_header&, const auto& k, const auto& v) {
            auto rec = decode_record(k, v);
            if (!rec) {
                return;
            }
            if (!rec->value) {
                _txns.erase(rec->transactional_id);
                _txn_partition.erase(rec->transactional_id);
                ids.erase(rec->transactional_id);
                return;
            }
            _txns[rec->transactional_id] = from_value(*rec->value);
            _txn_partition[rec->transactional_id] = partition;
            ids.insert(rec->transactional_id);
        });
    if (!records) {
        return error_code::coordinator_not_available;
    }
    if (*records > 0) {
        log.info("{}: {} records replayed, {} transactional ids", what, *records,
                 ids.size());
    }
    return error_code::none;
}

txn_metadata* txn_manager::find(const std::string& id) {
    auto it = _txns.find(id);
    return it == _txns.end() ? nullptr : &it->second;
}

runtime::awaitable<error_code> txn_manager::persist(int32_t partition,
                                                    const std::string& id,
                                                    const txn_metadata& next) {
    auto* m = _partitions.get(state_topic, partition);
    if (m == nullptr) {
        co_return error_code::coordinator_not_available;
    }
    std::vector<record_bytes> records;
    records.emplace_back(encode_key(id), encode_value(to_value(next)));
    auto task = append_records(*m, fmt::format("{}-{}", state_topic, partition),
                               std::move(records));
    auto e = co_await std::move(task);
    if (e == error_code::none) {
        auto& stored = _txns[id];
        bool pending = stored.pending;
        stored = next;
        stored.pending = pending;
        _txn_partition[id] = partition;
        _loaded[partition].ids.insert(id);
    }
    co_return e;
}

// Loads the partition and finds the id's state, refusing while another
// change to it is in flight.
runtime::awaitable<error_code> txn_manager::ready(int32_t partition,
                                                  const std::string& id,
                                                  txn_metadata*& out) {
    out = nullptr;
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        co_return e;
    }
    out = find(id);
    if (out != nullptr && out->pending) {
        co_return error_code::concurrent_transactions;
    }
    co_return error_code::none;
}

runtime::awaitable<error_code> txn_manager::ready_for(int32_t partition,
                                                      const std::string& id,
                                                      int64_t producer_id, int16_t epoch,
                                                      txn_metadata*& out) {
    if (auto e = co_await ready(partition, id, out); e != error_code::none) {
        co_return e;
    }
    if (out == nullptr || out->producer_id != producer_id) {
        co_return error_code::invalid_producer_id_mapping;
    }
    if (out->epoch != epoch) {
        co_return error_code::producer_fenced;
    }
    co_return error_code::none;
}

runtime::awaitable<producer_result> txn_manager::init_producer_id(
    int32_t partition, std::string id, int32_t timeout_ms, int64_t expected_producer_id,
    int16_t expected_epoch) {
    if (timeout_ms <= 0 || timeout_ms > _config.max_timeout_ms) {
        co_return producer_result{error_code::invalid_transaction_timeout};
    }
    txn_metadata* m = nullptr;
    if (auto e = co_await ready(partition, id, m); e != error_code::none) {
        co_return producer_result{e};
    }
    if (m != nullptr && is_prepare(m->status)) {
        co_return producer_result{error_code::concurrent_transactions};
    }
    // A producer naming an id and epoch that are no longer current is a
    // zombie: fenced before it can abort anyone's transaction.
    if (m != nullptr && expected_producer_id >= 0
        && (m->producer_id != expected_producer_id || m->epoch != expected_epoch)
        && !(m->previous_producer_id == expected_producer_id)) {
        co_return producer_result{error_code::producer_fenced};
    }
    if (m != nullptr && m->status == txn_status::ongoing) {
        // A new instance of the producer: the old one's transaction is
        // aborted (its epoch fenced); the newcomer retries meanwhile.
        auto aborted = prepare_end(partition, id, false, epoch_change::fence);
        auto e = co_await std::move(aborted);
        co_return producer_result{
            e == error_code::none ? error_code::concurrent_transactions : e};
    }
    txn_metadata next = m != nullptr ? *m : txn_metadata{};
    // No other change to the id (an old instance's AddPartitionsToTxn) may
    // come between this check and the new epoch on disk.
    if (m != nullptr) {
        m->pending = true;
    }
    bool is_new = m == nullptr;
    if (is_new || epoch_exhausted(next.epoch)) {
        auto task = _services.new_producer_id();
        auto pid = co_await std::move(task);
        if (!pid) {
            release(id);
            co_return producer_result{error_code::coordinator_not_available};
        }
        next.previous_producer_id = next.producer_id;
        next.producer_id = *pid;
        next.epoch = 0;
    } else {
        next.epoch = static_cast<int16_t>(next.epoch + 1);
    }
    if (is_new && find(id) != nullptr) {
        // Another InitProducerId created the id meanwhile.
        co_return producer_result{error_code::concurrent_transactions};
    }
    next.timeout_ms = timeout_ms;
    next.status = txn_status::empty;
    next.partitions.clear();
    next.start_ms = -1;
    next.last_update_ms = now_ms();
    next.pending = false;
    auto e = co_await persist(partition, id, next);
    release(id);
    if (e != error_code::none) {
        co_return producer_result{e};
    }
    co_return producer_result{error_code::none, next.producer_id, next.epoch};
}

runtime::awaitable<error_code> txn_manager::add_partitions(
    int32_t partition, std::string id, int64_t producer_id, int16_t epoch,
    std::vector<topic_partition> added) {
    auto task = add(partition, id, producer_id, epoch, std::move(added), 1);
    co_return co_await std::move(task);
}

runtime::awaitable<error_code> txn_manager::add_implicitly(int32_t partition,
                                                           std::string id,
                                                           int64_t producer_id,
                                                           int16_t epoch,
                                                           topic_partition tp) {
    auto loaded = co_await ensure_loaded(partition);
    if (loaded != error_code::none) {
        co_return loaded;
    }
    // The producer may start its next transaction as soon as EndTxn
    // answered, while the last one's markers are still being written; and
    // it writes to several partitions at once, each adding its own.
    // Bounded, as Kafka's broker bounds its retries: a transaction whose
    // markers cannot be written (a full disk) answers the producer
    // CONCURRENT_TRANSACTIONS, which it retries.
    auto deadline = std::chrono::steady_clock::now() + implicit_add_wait;
    for (auto* m = find(id); m != nullptr && m->pending && !_stopping
         && std::chrono::steady_clock::now() < deadline;
         m = find(id)) {
        co_await settled(id, deadline);
    }
    auto task = add(partition, id, producer_id, epoch, {std::move(tp)}, 2);
    co_return co_await std::move(task);
}

runtime::awaitable<error_code> txn_manager::add(int32_t partition, const std::string& id,
                                                int64_t producer_id, int16_t epoch,
                                                std::vector<topic_partition> added,
                                                int16_t client_version) {
    txn_metadata* m = nullptr;
    auto checked = ready_for(partition, id, producer_id, epoch, m);
    if (auto e = co_await std::move(checked); e != error_code::none) {
        co_return e;
    }
    if (is_prepare(m->status)) {
        co_return error_code::concurrent_transactions;
    }
    bool all_in = m->status == txn_status::ongoing
        && std::all_of(added.begin(), added.end(),
                       [&](const auto& tp) { return m->partitions.contains(tp); });
    if (all_in) {
        co_return error_code::none;
    }
    txn_metadata next = *m;
    if (next.status != txn_status::ongoing) {
        // A new transaction: its client's version is what it began with.
        next.partitions.clear();
        next.start_ms = now_ms();
        next.client_version = client_version;
    }
    next.status = txn_status::ongoing;
    next.client_version = std::max(next.client_version, client_version);
    next.partitions.insert(added.begin(), added.end());
    next.last_update_ms = now_ms();
    m->pending = true;
    auto e = co_await persist(partition, id, next);
    release(id);
    co_return e;
}

runtime::awaitable<error_code> txn_manager::verify(int32_t partition, std::string id,
                                                   int64_t producer_id, int16_t epoch,
                                                   topic_partition tp) {
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        co_return e;
    }
    auto* m = find(id);
    if (m == nullptr || m->producer_id != producer_id) {
        co_return error_code::invalid_producer_id_mapping;
    }
    if (m->epoch != epoch) {
        co_return error_code::invalid_producer_epoch;
    }
    if (m->status != txn_status::ongoing || !m->partitions.contains(tp)) {
        co_return error_code::invalid_txn_state;
    }
    co_return error_code::none;
}

runtime::awaitable<producer_result> txn_manager::end_txn(int32_t partition,
                                                         std::string id,
                                                         int64_t producer_id,
                                                         int16_t epoch, bool commit,
                                                         bool bump_epoch) {
    txn_metadata* m = nullptr;
    auto found = co_await ready(partition, id, m);
    if (found != error_code::none) {
        co_return producer_result{found};
    }
    if (m == nullptr) {
        co_return producer_result{error_code::invalid_producer_id_mapping};
    }
    if (bump_epoch && is_retried_end(*m, producer_id, epoch)) {
        bool same = commit ? m->status == txn_status::complete_commit
                           : m->status == txn_status::complete_abort;
        if (same) {
            co_return granted(*m);
        }
        co_return producer_result{end_without_ongoing(m->status, commit)};
    }
    if (m->producer_id != producer_id) {
        co_return producer_result{error_code::invalid_producer_id_mapping};
    }
    if (m->epoch != epoch) {
        co_return producer_result{error_code::producer_fenced};
    }
    // Version 2 lets a producer abort with nothing open (its first write
    // may never have reached the coordinator): the epoch still moves on.
    bool empty_abort =
        bump_epoch && !commit && (is_ended(m->status) || m->status == txn_status::empty);
    if (m->status != txn_status::ongoing && !empty_abort) {
        co_return producer_result{bump_epoch && is_ended(m->status)
                                      ? error_code::invalid_txn_state
                                      : end_without_ongoing(m->status, commit)};
    }
    auto task = prepare_end(partition, id, commit,
                            bump_epoch ? epoch_change::bump : epoch_change::keep);
    auto prepared = co_await std::move(task);
    if (prepared != error_code::none) {
        co_return producer_result{prepared};
    }
    auto* after = find(id);
    co_return after != nullptr ? granted(*after)
                               : producer_result{error_code::coordinator_not_available};
}

runtime::awaitable<error_code> txn_manager::prepare_end(int32_t partition, std::string id,
                                                        bool commit,
                                                        epoch_change change) {
    auto* m = find(id);
    if (m == nullptr || m->pending) {
        co_return error_code::concurrent_transactions;
    }
    m->pending = true;
    txn_metadata next = *m;
    if (!is_prepare(next.status) && next.status != txn_status::ongoing) {
        // Version 2's abort with nothing open: no partition to mark.
        next.partitions.clear();
        next.start_ms = now_ms();
    }
    if (change == epoch_change::bump) {
        next.client_version = 2;
        if (epoch_exhausted(next.epoch)) {
            auto task = _services.new_producer_id();
            auto pid = co_await std::move(task);
            if (!pid) {
                release(id);
                co_return error_code::coordinator_not_available;
            }
            next.next_producer_id = *pid;
        }
    }
    if (change != epoch_change::keep) {
        // The markers carry the bumped epoch, so that whatever the old epoch
        // still sends is refused: a fenced instance, or a bumped producer's
        // stale retries.
        next.epoch = next_epoch(next.epoch);
    }
    next.status = commit ? txn_status::prepare_commit : txn_status::prepare_abort;
    next.last_update_ms = now_ms();
    auto e = co_await persist(partition, id, next);
    if (e != error_code::none) {
        release(id);
        co_return e;
    }
    // The decision is durable: the client has its answer, the markers
    // follow (and, after a crash, are written again at load).
    start_completion(partition, id);
    co_return error_code::none;
}

void txn_manager::start_completion(int32_t partition, const std::string& id) {
    if (auto* m = find(id)) {
        m->pending = true;
    }
    if (_work.try_enter()) {
        boost::asio::co_spawn(_ex, complete_end(partition, id), boost::asio::detached);
    }
}

runtime::awaitable<void> txn_manager::complete_end(int32_t partition, std::string id) {
    runtime::gate_holder hold(_work);
    auto* m = find(id);
    if (m == nullptr) {
        co_return;
    }
    bool commit = m->status == txn_status::prepare_commit;
    auto partitions = m->partitions;
    int64_t producer_id = m->producer_id;
    int16_t epoch = m->epoch;
    // Every partition's marker at once: their flushes overlap.
    std::vector<runtime::awaitable<void>> markers;
    for (const auto& tp : partitions) {
        markers.push_back(write_marker_until_done(tp, producer_id, epoch, commit));
    }
    auto all = runtime::when_all(std::move(markers));
    co_await std::move(all);
    if (_stopping) {
        co_return; // finished at the next start, from the prepare record
    }
    m = find(id);
    if (m == nullptr) {
        wake_settled(id);
        co_return;
    }
    txn_metadata next = *m;
    next.status = commit ? txn_status::complete_commit : txn_status::complete_abort;
    next.partitions.clear();
    next.last_update_ms = now_ms();
    if (next.next_producer_id >= 0) {
        next.previous_producer_id = next.producer_id;
        next.producer_id = next.next_producer_id;
        next.next_producer_id = -1;
        next.epoch = 0;
    }
    // Retried until written (a full disk), like the markers: until then the
    // id stays busy rather than stuck in its prepare state.
    while (!_stopping) {
        auto e = co_await persist(partition, id, next);
        if (e == error_code::none) {
            break;
        }
        log.warn("{}: could not record the end of {}'s transaction: {}; retrying",
                 state_topic, id, static_cast<int>(e));
        boost::asio::steady_timer pause(_ex, std::chrono::milliseconds(500));
        boost::system::error_code ec;
        co_await pause.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    release(id);
}

runtime::awaitable<void> txn_manager::settled(
    const std::string& id, std::chrono::steady_clock::time_point deadline) {
    auto timer = std::make_shared<boost::asio::steady_timer>(_ex, deadline);
    _settling[id].push_back(timer);
    boost::system::error_code ec;
    co_await timer->async_wait(
        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (auto it = _settling.find(id); it != _settling.end()) {
        std::erase(it->second, timer);
        if (it->second.empty()) {
            _settling.erase(it);
        }
    }
}

void txn_manager::release(const std::string& id) {
    if (auto* m = find(id)) {
        m->pending = false;
    }
    wake_settled(id);
}

void txn_manager::wake_settled(const std::string& id) {
    auto it = _settling.find(id);
    if (it != _settling.end()) {
        for (auto& t : it->second) {
            t->cancel();
        }
    }
}

runtime::awaitable<void> txn_manager::write_marker_until_done(topic_partition tp,
                                                              int64_t producer_id,
                                                              int16_t epoch,
                                                              bool commit) {
    // A marker that cannot be written now (a full disk) is retried until it
    // is: the partition stays unstable meanwhile.
    while (!_stopping) {
        auto task = _services.write_marker(tp, producer_id, epoch, commit);
        if (co_await std::move(task) == error_code::none) {
            co_return;
        }
        boost::asio::steady_timer pause(_ex, std::chrono::milliseconds(500));
        boost::system::error_code ec;
        co_await pause.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
}

runtime::awaitable<void> txn_manager::abort_timed_out() {
    int64_t now = now_ms();
    std::vector<std::pair<int32_t, std::string>> due;
    for (const auto& [id, m] : _txns) {
        if (m.status == txn_status::ongoing && !m.pending
            && now - m.start_ms > m.timeout_ms) {
            due.emplace_back(_txn_partition[id], id);
        }
    }
    for (auto& [partition, id] : due) {
        // Looked at again: an earlier abort awaited, and this one may have
        // ended meanwhile.
        auto* m = find(id);
        if (m == nullptr || m->status != txn_status::ongoing || m->pending
            || now_ms() - m->start_ms <= m->timeout_ms) {
            continue;
        }
        log.info("{}: aborting {}'s transaction: older than its timeout", state_topic,
                 id);
        auto task = prepare_end(partition, id, false, epoch_change::fence);
        co_await std::move(task);
    }
}

runtime::awaitable<void> txn_manager::expire_ids() {
    int64_t now = now_ms();
    std::vector<std::pair<int32_t, std::string>> due;
    for (const auto& [id, m] : _txns) {
        if (is_complete(m.status) && !m.pending
            && now - m.last_update_ms > _config.id_expiration_ms) {
            due.emplace_back(_txn_partition[id], id);
        }
    }
    for (auto& [partition, id] : due) {
        auto* m = _partitions.get(state_topic, partition);
        if (m == nullptr) {
            continue;
        }
        std::vector<record_bytes> records;
        records.emplace_back(encode_key(id), std::nullopt);
        auto task = append_records(*m, std::string(state_topic), std::move(records));
        if (co_await std::move(task) == error_code::none) {
            _txns.erase(id);
            _txn_partition.erase(id);
            _loaded[partition].ids.erase(id);
        }
    }
}

runtime::awaitable<described_txn> txn_manager::describe(int32_t partition,
                                                        std::string id) {
    described_txn d;
    d.transactional_id = id;
    if (auto e = co_await ensure_loaded(partition); e != error_code::none) {
        d.error = e;
        co_return d;
    }
    auto* m = find(id);
    if (m == nullptr) {
        d.error = error_code::transactional_id_not_found;
        co_return d;
    }
    d.metadata = *m;
    co_return d;
}

runtime::awaitable<std::vector<described_txn>> txn_manager::list(
    std::set<txn_status> states, std::set<int64_t> producer_ids,
    int64_t min_duration_ms) {
    std::vector<described_txn> out;
    int64_t now = now_ms();
    for (const auto& [id, m] : _txns) {
        if (!states.empty() && !states.contains(m.status)) {
            continue;
        }
        if (!producer_ids.empty() && !producer_ids.contains(m.producer_id)) {
            continue;
        }
        if (min_duration_ms >= 0
            && (m.status != txn_status::ongoing || now - m.start_ms < min_duration_ms)) {
            continue;
        }
        out.push_back({error_code::none, id, m});
    }
    co_return out;
}

} // namespace kafka::txn
