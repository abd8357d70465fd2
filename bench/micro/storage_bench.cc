// A partition log on the real disk next to what the disk offers raw, in the
// same run: appends of 16 KiB batches with a flush every 16 KiB and every
// 1 MiB against sequential 16 KiB pwrites with an fdatasync as often; reads
// of 1 MiB against pread of the same file; and what handing an fdatasync to
// a helper thread costs over calling it inline.
//
// Files go in a fresh directory under $ATOLL_BENCH_DIR (default: the
// current directory), never /tmp, which may be another filesystem than the
// one the broker's data lives on; each benchmark removes its directory.

#include "model/fundamental.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/disk_log.h"
#include "storage/file.h"
#include "storage/log_config.h"
#include "storage/segment.h"

#include <benchmark/benchmark.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

// One write (a pwrite, or an appended batch) is this size, exactly.
constexpr size_t write_bytes = 16 * 1024;
constexpr int records_per_batch = 16;
constexpr size_t read_bytes = 1 << 20;
constexpr size_t read_log_bytes = size_t{64} << 20;
// Large enough that a run rarely rolls a segment (each run reports the
// segments it made), small enough that a long run cannot fill the disk.
constexpr size_t segment_bytes = size_t{256} << 20;
// Small enough that every run rolls many times: what rolls cost.
constexpr size_t small_segment_bytes = size_t{16} << 20;

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// A fresh directory on the data's filesystem, removed with its contents.
class scratch_dir {
public:
    scratch_dir() {
        const char* parent = std::getenv("ATOLL_BENCH_DIR");
        std::string pattern =
            std::string(parent && *parent ? parent : ".") + "/atoll-storage-bench-XXXXXX";
        std::vector<char> name(pattern.begin(), pattern.end());
        name.push_back('\0');
        if (::mkdtemp(name.data()) == nullptr) {
            _error = errno_text("mkdtemp " + pattern);
            return;
        }
        _path = name.data();
    }
    ~scratch_dir() {
        if (!_path.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(_path, ec);
        }
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    const std::string& path() const { return _path; }
    const std::string& error() const { return _error; }

private:
    std::string _path;
    std::string _error;
};

class file_descriptor {
public:
    explicit file_descriptor(int fd)
      : _fd(fd) {}
    ~file_descriptor() {
        if (_fd >= 0) {
            ::close(_fd);
        }
    }
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;

    int get() const { return _fd; }

private:
    int _fd;
};

bool write_all(int fd, const std::vector<uint8_t>& bytes, uint64_t pos) {
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t w = ::pwrite(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(pos + done));
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        done += static_cast<size_t>(w);
    }
    return true;
}

model::record_batch build_batch(size_t value_bytes, size_t last_value_bytes) {
    model::record_batch_builder builder;
    std::vector<std::string> keys;
    std::vector<std::string> values;
    for (int i = 0; i < records_per_batch; ++i) {
        keys.push_back("key-" + std::to_string(i));
        size_t n = i + 1 == records_per_batch ? last_value_bytes : value_bytes;
        std::string value(n, 'v');
        for (size_t j = 0; j < n; ++j) {
            value[j] = static_cast<char>('a' + (j * 7 + static_cast<size_t>(i)) % 26);
        }
        values.push_back(std::move(value));
    }
    for (int i = 0; i < records_per_batch; ++i) {
        model::record_data r;
        r.key =
            std::span(reinterpret_cast<const uint8_t*>(keys[i].data()), keys[i].size());
        r.value = std::span(reinterpret_cast<const uint8_t*>(values[i].data()),
                            values[i].size());
        r.timestamp = 1700000000000 + i;
        builder.add_record(r);
    }
    return builder.build();
}

// Sixteen records of about 1 KiB, the last one's value sized so that the
// whole batch is `write_bytes`: the log then writes exactly what the raw
// benchmark writes, and both count the same bytes.
model::record_batch make_batch() {
    const size_t value_bytes = write_bytes / records_per_batch - 32;
    size_t last_value_bytes = value_bytes;
    auto batch = build_batch(value_bytes, last_value_bytes);
    for (int attempt = 0; attempt < 8 && batch.size_bytes() != write_bytes; ++attempt) {
        last_value_bytes += write_bytes;
        last_value_bytes -= batch.size_bytes();
        batch = build_batch(value_bytes, last_value_bytes);
    }
    return batch;
}

std::unique_ptr<storage::disk_log> open_log(benchmark::State& state,
                                            const scratch_dir& dir,
                                            size_t segment_size = segment_bytes) {
    storage::log_config config;
    config.segment_bytes = segment_size;
    auto log = storage::disk_log::open(storage::posix_file_system(),
                                       storage::join_path(dir.path(), "topic-0"), config,
                                       storage::system_clock_ms());
    if (!log) {
        state.SkipWithError(log.message().c_str());
        return nullptr;
    }
    return std::move(*log);
}

// Runs one call at a time for a caller that waits for its answer: the
// hand-off a shard pays to keep a blocking fdatasync off its own thread.
// One slot: the caller waits, so nothing more can queue.
class helper_thread {
public:
    helper_thread()
      : _thread([this] { run(); }) {}
    ~helper_thread() {
        {
            std::lock_guard lock(_mutex);
            _stopping = true;
        }
        _wake.notify_one();
        _thread.join();
    }
    helper_thread(const helper_thread&) = delete;
    helper_thread& operator=(const helper_thread&) = delete;

    int call(const std::function<int()>& job) {
        std::unique_lock lock(_mutex);
        _job = &job;
        _answered = false;
        _wake.notify_one();
        _done.wait(lock, [this] { return _answered; });
        return _answer;
    }

private:
    void run() {
        std::unique_lock lock(_mutex);
        while (true) {
            _wake.wait(lock, [this] { return _stopping || _job != nullptr; });
            if (_job == nullptr) {
                return;
            }
            const auto* job = _job;
            _job = nullptr;
            lock.unlock();
            int answer = (*job)();
            lock.lock();
            _answer = answer;
            _answered = true;
            _done.notify_one();
        }
    }

    std::mutex _mutex;
    std::condition_variable _wake;
    std::condition_variable _done;
    const std::function<int()>* _job{nullptr};
    bool _answered{false};
    int _answer{0};
    bool _stopping{false};
    // Last: it starts running once everything above is initialized.
    std::thread _thread;
};

// 16 KiB pwrites at the end of one file, `sync` after every `flush_bytes`;
// one iteration is one flush interval. `sync` returns 0 or an errno.
void write_then_sync(benchmark::State& state, size_t flush_bytes,
                     const std::function<int(int)>& sync) {
    scratch_dir dir;
    if (!dir.error().empty()) {
        state.SkipWithError(dir.error().c_str());
        return;
    }
    file_descriptor fd(::open(storage::join_path(dir.path(), "raw.log").c_str(),
                              O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
        state.SkipWithError(errno_text("open").c_str());
        return;
    }
    std::vector<uint8_t> buf(write_bytes);
    for (size_t i = 0; i < buf.size(); ++i) {
        buf[i] = static_cast<uint8_t>('a' + (i * 7) % 26);
    }
    uint64_t pos = 0;
    for (auto _ : state) {
        bool ok = true;
        for (size_t done = 0; ok && done < flush_bytes; done += write_bytes) {
            ok = write_all(fd.get(), buf, pos);
            pos += write_bytes;
        }
        if (!ok) {
            state.SkipWithError(errno_text("pwrite").c_str());
            break;
        }
        if (int err = sync(fd.get()); err != 0) {
            state.SkipWithError(
                (std::string("fdatasync: ") + std::strerror(err)).c_str());
            break;
        }
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * flush_bytes));
}

int fdatasync_errno(int fd) {
    return ::fdatasync(fd) == 0 ? 0 : errno;
}

// What the disk offers: the ceiling for the log's appends.
void BM_raw_write_fdatasync(benchmark::State& state) {
    write_then_sync(state, static_cast<size_t>(state.range(0)), fdatasync_errno);
}

// The log's appends of 16 KiB batches (the same batch each time, given new
// offsets), flush() (fdatasync on this thread) after every `flush_bytes`.
void append_then_flush(benchmark::State& state, size_t segment_size) {
    const auto flush_bytes = static_cast<size_t>(state.range(0));
    scratch_dir dir;
    if (!dir.error().empty()) {
        state.SkipWithError(dir.error().c_str());
        return;
    }
    auto batch = make_batch();
    if (batch.size_bytes() != write_bytes) {
        state.SkipWithError("could not build a batch of exactly 16 KiB");
        return;
    }
    auto log = open_log(state, dir, segment_size);
    if (!log) {
        return;
    }
    const model::term_id term(1);
    for (auto _ : state) {
        bool ok = true;
        for (size_t done = 0; ok && done < flush_bytes; done += write_bytes) {
            auto r = log->append(batch, term);
            if (!r) {
                state.SkipWithError(r.message().c_str());
                ok = false;
            }
        }
        if (!ok) {
            break;
        }
        if (auto r = log->flush(); !r) {
            state.SkipWithError(r.message().c_str());
            break;
        }
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * flush_bytes));
    // Segments of the last run; more than one means rolls were timed too.
    state.counters["segments"] = static_cast<double>(log->offsets().segment_count);
}

void BM_log_append_flush(benchmark::State& state) {
    append_then_flush(state, segment_bytes);
}

// The same with 16 MiB segments: a roll (flush, index files, a new file,
// partition.meta, directory fsync) every 16 MiB.
void BM_log_append_flush_16mib_segments(benchmark::State& state) {
    append_then_flush(state, small_segment_bytes);
}

// Registered in pairs, so that a raw figure and the log's it is compared
// with are measured close together in time.
BENCHMARK(BM_raw_write_fdatasync)->Arg(16 << 10)->UseRealTime();
BENCHMARK(BM_log_append_flush)->Arg(16 << 10)->UseRealTime();
BENCHMARK(BM_raw_write_fdatasync)->Arg(1 << 20)->UseRealTime();
BENCHMARK(BM_log_append_flush)->Arg(1 << 20)->UseRealTime();
BENCHMARK(BM_log_append_flush_16mib_segments)->Arg(1 << 20)->UseRealTime();

// A 16 KiB write and its fdatasync, both on the calling thread.
void BM_fdatasync_inline(benchmark::State& state) {
    write_then_sync(state, write_bytes, fdatasync_errno);
}
BENCHMARK(BM_fdatasync_inline)->UseRealTime();

// The same, the fdatasync posted to a helper thread and waited for.
void BM_fdatasync_on_helper_thread(benchmark::State& state) {
    helper_thread helper;
    write_then_sync(state, write_bytes, [&helper](int fd) {
        return helper.call([fd] { return fdatasync_errno(fd); });
    });
}
BENCHMARK(BM_fdatasync_on_helper_thread)->UseRealTime();

// The hand-off alone (an empty call and its answer): the overhead the
// helper thread adds to each fdatasync, too small to see in the pair above.
void BM_helper_thread_round_trip(benchmark::State& state) {
    helper_thread helper;
    const std::function<int()> nothing = [] { return 0; };
    for (auto _ : state) {
        benchmark::DoNotOptimize(helper.call(nothing));
    }
}
BENCHMARK(BM_helper_thread_round_trip)->UseRealTime();

// A log of `read_log_bytes`, written before timing and not synced: reads
// are served from the page cache either way, and a file removed before
// writeback starts costs the disk nothing.
std::unique_ptr<storage::disk_log> make_read_log(benchmark::State& state,
                                                 const scratch_dir& dir) {
    if (!dir.error().empty()) {
        state.SkipWithError(dir.error().c_str());
        return nullptr;
    }
    auto batch = make_batch();
    auto log = open_log(state, dir);
    if (!log) {
        return nullptr;
    }
    for (size_t done = 0; done < read_log_bytes; done += batch.size_bytes()) {
        if (auto r = log->append(batch, model::term_id(1)); !r) {
            state.SkipWithError(r.message().c_str());
            return nullptr;
        }
    }
    return log;
}

// disk_log::read of 1 MiB at a time, from the start of the log round to
// its start again.
void BM_log_read(benchmark::State& state) {
    scratch_dir dir;
    auto log = make_read_log(state, dir);
    if (!log) {
        return;
    }
    const auto start = log->offsets().log_start;
    const auto end = log->offsets().next_offset;
    model::offset next = start;
    uint64_t bytes = 0;
    for (auto _ : state) {
        auto r = log->read(next, read_bytes);
        if (!r) {
            state.SkipWithError(r.message().c_str());
            break;
        }
        bytes += r->data.size_bytes();
        next = model::offset(r->last_offset() + 1);
        if (next >= end) {
            next = start;
        }
        benchmark::DoNotOptimize(r->data);
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_log_read)->UseRealTime();

// pread of 1 MiB at a time of the same segment file, into one buffer.
void BM_raw_pread(benchmark::State& state) {
    scratch_dir dir;
    auto log = make_read_log(state, dir);
    if (!log) {
        return;
    }
    auto path = storage::join_path(
        log->directory(), storage::segment::file_name(log->offsets().log_start, ".log"));
    file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        state.SkipWithError(errno_text("open " + path).c_str());
        return;
    }
    const uint64_t size = log->offsets().size_bytes;
    std::vector<uint8_t> buf(read_bytes);
    uint64_t pos = 0;
    uint64_t bytes = 0;
    for (auto _ : state) {
        ssize_t r = ::pread(fd.get(), buf.data(), buf.size(), static_cast<off_t>(pos));
        if (r <= 0) {
            state.SkipWithError(errno_text("pread").c_str());
            break;
        }
        bytes += static_cast<uint64_t>(r);
        pos += static_cast<uint64_t>(r);
        if (pos >= size) {
            pos = 0;
        }
        benchmark::DoNotOptimize(buf.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_raw_pread)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
