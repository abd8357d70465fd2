#pragma once

#include "runtime/gate.h"
#include "runtime/smp.h"
#include "storage/disk_log.h"
#include "storage/flush_worker.h"

#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace storage {

// Group commit for one partition log, on its owning shard. flush()
// resumes once everything appended before the call is durable. At most
// one flush plan is in flight; callers that arrive meanwhile share the
// next one, which starts when the current one ends and covers every append
// made until then. So N acks=all produce requests arriving together cost
// two fdatasyncs, not N, and the shard never waits on the disk.
class log_flusher {
public:
    log_flusher(disk_log& log, file_system& fs, flush_worker& worker,
                boost::asio::any_io_executor shard);
    ~log_flusher();
    log_flusher(const log_flusher&) = delete;
    log_flusher& operator=(const log_flusher&) = delete;

    runtime::awaitable<result<void>> flush();

    // Appends, first flushing (off the shard) a segment the batch would
    // close, so the roll's own flush finds nothing left to sync.
    runtime::awaitable<result<append_result>> append(model::record_batch& batch,
                                                     model::term_id term);

    // Waits for the plan in flight, if any (before the log goes away).
    runtime::awaitable<void> stop();

    // fdatasync rounds started so far.
    uint64_t flights() const { return _flights; }

private:
    struct flight {
        // The event never expires: it fires by cancel() when the flight
        // ends, waking every waiter at once.
        explicit flight(boost::asio::any_io_executor ex)
          : done_event(std::move(ex), boost::asio::steady_timer::time_point::max()) {}
        flush_plan plan;
        boost::asio::steady_timer done_event;
        bool done{false};
        result<void> outcome{base::ok};
    };

    void start_next();
    runtime::awaitable<void> run(std::shared_ptr<flight> f);
    static runtime::awaitable<void> wait(std::shared_ptr<flight> f);

    disk_log& _log;
    file_system& _fs;
    // Callers inside flush() or append(): stop() waits for them, so none
    // resumes after the log is gone.
    runtime::gate _callers;
    flush_worker& _worker;
    boost::asio::any_io_executor _shard;
    std::shared_ptr<flight> _current;
    std::shared_ptr<flight> _next;
    uint64_t _flights{0};
};

} // namespace storage
