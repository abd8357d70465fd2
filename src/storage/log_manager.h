#pragma once

#include "runtime/gate.h"
#include "runtime/smp.h"
#include "storage/disk_log.h"
#include "storage/flush_worker.h"
#include "storage/log_flusher.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace storage {

struct housekeeping_options {
    // log.retention.check.interval.ms: how often retention and compaction
    // look at every log.
    std::chrono::milliseconds interval{300'000};
    // Segments retention may delete from one log in one round.
    size_t retention_segments_per_round{16};
    // log.cleaner.io.max.bytes.per.second (0: no limit).
    uint64_t compaction_bytes_per_second{0};
    // producer.id.expiration.ms: a producer silent this long is forgotten,
    // checked every producer.id.expiration.check.interval.ms.
    int64_t producer_id_expiration_ms{86'400'000};
    std::chrono::milliseconds producer_expiry_interval{600'000};
};

// The partition logs of one shard, each in its own directory under
// `base_dir`. It gives each log a group-committing flusher over the
// shard's flush_worker, and keeps them tidy in the background: every
// interval, retention (a bounded number of segments per log) on the shard,
// and compaction of the logs that are due, one at a time, on a helper
// thread of its own with its I/O throttled, finished on the shard.
class log_manager {
public:
    struct managed {
        explicit managed(boost::asio::any_io_executor ex)
          : work(std::move(ex)) {}
        std::unique_ptr<disk_log> log;
        std::unique_ptr<log_flusher> flusher;
        // The highest offset retention and compaction may touch, set by
        // the layer above: Raft's commit index, the last stable offset.
        // Housekeeping also stays within what is durable.
        model::offset cleanable_up_to{std::numeric_limits<int64_t>::max()};
        // Compaction in flight; remove() waits for it.
        runtime::gate work;
    };

    log_manager(boost::asio::any_io_executor shard, file_system& fs, std::string base_dir,
                clock_ms clock, housekeeping_options options);
    ~log_manager();
    log_manager(const log_manager&) = delete;
    log_manager& operator=(const log_manager&) = delete;

    // Opens the log in base_dir/name, creating it or recovering what the
    // disk holds; the same log again when it is already managed.
    result<managed*> manage(const std::string& name, const log_config& config);
    managed* get(const std::string& name);
    size_t size() const { return _logs.size(); }

    // Stops managing the log and deletes its directory (a deleted topic),
    // once its flush and compaction in flight are done.
    runtime::awaitable<result<void>> remove(std::string name);

    // Starts the background rounds.
    void start();
    // Ends them, waits for work in flight, flushes and closes every log.
    runtime::awaitable<void> stop();
    // One round now: retention for every log, then compaction for those
    // due. The background calls it; so can a test.
    runtime::awaitable<void> housekeep();
    // Forgets the producers idle past producer.id.expiration.ms in every
    // log. The background calls it; so can a test.
    void expire_producers();

private:
    runtime::awaitable<void> run_rounds();
    runtime::awaitable<void> run_producer_expiry();
    runtime::awaitable<void> compact(managed& m);
    std::vector<std::string> names() const;
    static model::offset housekeeping_bound(const managed& m);

    boost::asio::any_io_executor _shard;
    file_system& _fs;
    std::string _base_dir;
    clock_ms _clock;
    housekeeping_options _options;
    std::map<std::string, std::unique_ptr<managed>> _logs;
    flush_worker _flush_worker;
    boost::asio::thread_pool _compaction_thread{1};
    boost::asio::steady_timer _round_timer;
    boost::asio::steady_timer _expiry_timer;
    runtime::gate _rounds;
    bool _stopping{false};
};

} // namespace storage
