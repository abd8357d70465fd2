#include "storage/log_flusher.h"

#include "base/vassert.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace storage {

log_flusher::log_flusher(disk_log& log, file_system& fs, flush_worker& worker,
                         boost::asio::any_io_executor shard)
  : _log(log)
  , _fs(fs)
  , _callers(shard)
  , _worker(worker)
  , _shard(std::move(shard)) {}

log_flusher::~log_flusher() {
    vassert(!_current, "log_flusher destroyed with a flush in flight; stop() first");
}

runtime::awaitable<result<void>> log_flusher::flush() {
    if (!_callers.try_enter()) {
        co_return base::make_error(errc::io_error, "the log is closing");
    }
    runtime::gate_holder holder(_callers);
    auto offsets = _log.offsets();
    if (offsets.flushed_offset >= offsets.next_offset) {
        co_return base::ok;
    }
    std::shared_ptr<flight> f;
    if (_current && _current->plan.generation == _log.generation()
        && _current->plan.next_offset >= offsets.next_offset) {
        f = _current;
    } else {
        if (!_next) {
            _next = std::make_shared<flight>(_shard);
        }
        f = _next;
        if (!_current) {
            start_next();
        }
    }
    co_await wait(f);
    co_return f->outcome;
}

runtime::awaitable<result<append_result>> log_flusher::append(model::record_batch& batch,
                                                              model::term_id term) {
    if (!_callers.try_enter()) {
        co_return base::make_error(errc::io_error, "the log is closing");
    }
    runtime::gate_holder holder(_callers);
    if (_log.needs_roll(batch.size_bytes())) {
        if (auto r = co_await flush(); !r) {
            co_return r.error_value();
        }
    }
    co_return _log.append(batch, term);
}

void log_flusher::start_next() {
    vassert(!_current && _next, "a flush started while one is in flight");
    _current = std::move(_next);
    _current->plan = _log.prepare_flush();
    ++_flights;
    boost::asio::co_spawn(_shard, run(_current), boost::asio::detached);
}

runtime::awaitable<void> log_flusher::run(std::shared_ptr<flight> f) {
    // Named: see CONTRIBUTING.md, "Coroutines" (the plan is an aggregate).
    auto task = _worker.execute(f->plan, _fs, _log.directory());
    f->outcome = co_await std::move(task);
    if (f->outcome) {
        _log.complete_flush(f->plan);
    } else {
        _log.fail_flush(f->outcome.error_value());
    }
    f->done = true;
    f->done_event.cancel();
    _current.reset();
    if (_next) {
        start_next();
    }
}

runtime::awaitable<void> log_flusher::wait(std::shared_ptr<flight> f) {
    while (!f->done) {
        boost::system::error_code ec;
        co_await f->done_event.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
}

runtime::awaitable<void> log_flusher::stop() {
    co_await _callers.close();
    while (_current) {
        auto f = _current;
        co_await wait(f);
    }
}

} // namespace storage
