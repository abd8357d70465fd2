#pragma once

#include "runtime/smp.h"
#include "storage/disk_log.h"

#include <boost/asio/thread_pool.hpp>

namespace storage {

// The helper thread of one shard for the calls that block for
// milliseconds: fdatasync of log files and of directories. The shard hands
// it a flush plan and resumes, on its own reactor, when the plan is done;
// meanwhile it serves other requests.
//
// Why a thread and not io_uring: a flush is one hand-off per group commit
// (many appends share it), the hand-off costs microseconds against an
// fdatasync's milliseconds (see bench_storage), and buffered writes into
// the page cache take microseconds on the shard. A per-shard ring would
// save the hand-off and add a second completion path to the reactor.
//
// Bounded: each log has at most one plan in flight (log_flusher), so the
// queue holds at most one plan per log of the shard.
class flush_worker {
public:
    flush_worker();
    ~flush_worker();
    flush_worker(const flush_worker&) = delete;
    flush_worker& operator=(const flush_worker&) = delete;

    // Runs the plan's fdatasyncs (files, then the directory) on the
    // helper thread; the caller resumes on its own executor.
    runtime::awaitable<result<void>> execute(flush_plan plan, file_system& fs,
                                             std::string dir);

private:
    boost::asio::thread_pool _thread{1};
};

} // namespace storage
