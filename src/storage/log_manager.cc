#include "storage/log_manager.h"

#include "base/logger.h"
#include "storage/compaction.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>

namespace storage {
namespace {

base::logger log{"storage"};

// co_spawn needs a default-constructible result.
using maybe_outcome = std::optional<result<compaction_outcome>>;

// A coroutine function, so the job lives in its frame on the helper thread.
runtime::awaitable<maybe_outcome> run_job(file_system* fs, compaction_job job) {
    co_return run_compaction(*fs, job);
}

} // namespace

log_manager::log_manager(boost::asio::any_io_executor shard, file_system& fs,
                         std::string base_dir, clock_ms clock,
                         housekeeping_options options)
  : _shard(shard)
  , _fs(fs)
  , _base_dir(std::move(base_dir))
  , _clock(std::move(clock))
  , _options(options)
  , _round_timer(shard)
  , _expiry_timer(shard)
  , _rounds(shard) {}

log_manager::~log_manager() {
    _compaction_thread.join();
}

result<log_manager::managed*> log_manager::manage(const std::string& name,
                                                  const log_config& config) {
    if (auto it = _logs.find(name); it != _logs.end()) {
        it->second->log->set_config(config);
        return it->second.get();
    }
    auto opened = disk_log::open(_fs, join_path(_base_dir, name), config, _clock);
    if (!opened) {
        return opened.error_value();
    }
    auto m = std::make_unique<managed>(_shard);
    m->log = std::move(*opened);
    m->flusher = std::make_unique<log_flusher>(*m->log, _fs, _flush_worker, _shard);
    auto* raw = m.get();
    _logs.emplace(name, std::move(m));
    return raw;
}

log_manager::managed* log_manager::get(const std::string& name) {
    auto it = _logs.find(name);
    return it == _logs.end() ? nullptr : it->second.get();
}

runtime::awaitable<result<void>> log_manager::remove(std::string name) {
    auto it = _logs.find(name);
    if (it == _logs.end()) {
        co_return base::make_error(errc::not_found, "no log " + name);
    }
    auto m = std::move(it->second);
    _logs.erase(it);
    co_await m->work.close();
    co_await m->flusher->stop();
    std::string dir = m->log->directory();
    m.reset();
    co_return _fs.remove_directory(dir);
}

void log_manager::start() {
    if (_rounds.try_enter()) {
        boost::asio::co_spawn(_shard, run_rounds(), boost::asio::detached);
    }
    if (_rounds.try_enter()) {
        boost::asio::co_spawn(_shard, run_producer_expiry(), boost::asio::detached);
    }
}

runtime::awaitable<void> log_manager::run_producer_expiry() {
    runtime::gate_holder holder(_rounds);
    while (!_stopping) {
        _expiry_timer.expires_after(_options.producer_expiry_interval);
        boost::system::error_code ec;
        co_await _expiry_timer.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (_stopping) {
            break;
        }
        expire_producers();
    }
}

void log_manager::expire_producers() {
    for (const auto& [name, m] : _logs) {
        if (auto gone = m->log->expire_producers(_options.producer_id_expiration_ms)) {
            log.info("{}: {} idle producer(s) expired", m->log->directory(), gone);
        }
    }
}

runtime::awaitable<void> log_manager::run_rounds() {
    runtime::gate_holder holder(_rounds);
    while (!_stopping) {
        _round_timer.expires_after(_options.interval);
        boost::system::error_code ec;
        co_await _round_timer.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (_stopping) {
            break;
        }
        co_await housekeep();
    }
}

std::vector<std::string> log_manager::names() const {
    // Taken before a loop with awaits: a log removed meanwhile is skipped.
    std::vector<std::string> out;
    for (const auto& [name, m] : _logs) {
        out.push_back(name);
    }
    return out;
}

model::offset log_manager::housekeeping_bound(const managed& m) {
    // Never past an open transaction: it may yet be aborted.
    return std::min({m.cleanable_up_to,
                     model::offset(m.log->offsets().flushed_offset() - 1),
                     model::offset(m.log->last_stable_offset()() - 1)});
}

runtime::awaitable<void> log_manager::housekeep() {
    auto all = names();
    for (const auto& name : all) {
        auto* m = get(name);
        if (m == nullptr || _stopping) {
            continue;
        }
        if (auto r = m->log->apply_retention(_options.retention_segments_per_round,
                                             housekeeping_bound(*m));
            !r) {
            log.warn("{}: retention failed: {}", m->log->directory(), r.message());
        }
    }
    for (const auto& name : all) {
        auto* m = get(name);
        if (m == nullptr || _stopping) {
            continue;
        }
        co_await compact(*m);
    }
}

runtime::awaitable<void> log_manager::compact(managed& m) {
    const auto& config = m.log->config();
    // Only durable, committed batches are compacted: neither a power cut
    // nor a Raft truncation may undo what the log was compacted against.
    model::offset max_offset = housekeeping_bound(m);
    if (!config.cleanup_compact || m.log->dirty_ratio(max_offset) == 0.0
        || m.log->dirty_ratio(max_offset) < config.min_cleanable_dirty_ratio
        || !m.work.try_enter()) {
        co_return;
    }
    runtime::gate_holder holder(m.work);
    auto job = m.log->plan_compaction(max_offset);
    job.max_bytes_per_second = _options.compaction_bytes_per_second;
    auto work = run_job(&_fs, std::move(job));
    maybe_outcome outcome = co_await boost::asio::co_spawn(
        _compaction_thread, std::move(work), boost::asio::use_awaitable);
    if (!*outcome) {
        log.error("{}: compaction failed: {}", m.log->directory(), outcome->message());
        co_return;
    }
    if (auto r = m.log->finish_compaction(std::move(**outcome)); !r) {
        log.error("{}: compaction could not finish: {}", m.log->directory(), r.message());
    }
}

runtime::awaitable<void> log_manager::stop() {
    _stopping = true;
    _round_timer.cancel();
    _expiry_timer.cancel();
    co_await _rounds.close();
    for (const auto& name : names()) {
        auto* m = get(name);
        if (m == nullptr) {
            continue;
        }
        co_await m->work.close();
        co_await m->flusher->stop();
        if (auto r = m->log->close(); !r) {
            log.error("{}: close failed: {}", m->log->directory(), r.message());
        }
    }
}

} // namespace storage
