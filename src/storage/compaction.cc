#include "storage/compaction.h"

#include "base/logger.h"
#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/segment.h"

#include <fmt/format.h>

#include <algorithm>

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace storage {
namespace {

base::logger log{"compaction"};

// Keys are remembered by a 128-bit hash (two independent 64-bit ones), as
// Kafka's cleaner keeps an MD5: memory per key is fixed, and a collision
// that would drop a live record is out of reach.
struct key_hash {
    uint64_t a;
    uint64_t b;
    bool operator==(const key_hash&) const = default;
};

struct key_hash_hasher {
    size_t operator()(const key_hash& k) const { return k.a; }
};

key_hash hash_key(std::span<const uint8_t> key) {
    std::string_view v(reinterpret_cast<const char*>(key.data()), key.size());
    uint64_t fnv = 1469598103934665603ULL; // FNV-1a, 64-bit
    for (uint8_t c : key) {
        fnv = (fnv ^ c) * 1099511628211ULL;
    }
    return {std::hash<std::string_view>{}(v), fnv};
}

using key_map = std::unordered_map<key_hash, model::offset, key_hash_hasher>;

// Keeps a pass to max_bytes_per_second by sleeping when it runs ahead.
class io_throttle {
public:
    explicit io_throttle(uint64_t max_bytes_per_second)
      : _rate(max_bytes_per_second)
      , _start(std::chrono::steady_clock::now()) {}

    void account(uint64_t bytes) {
        if (_rate == 0) {
            return;
        }
        _bytes += bytes;
        auto due = _start + std::chrono::microseconds(_bytes * 1'000'000 / _rate);
        if (due > std::chrono::steady_clock::now()) {
            std::this_thread::sleep_until(due);
        }
    }

private:
    uint64_t _rate;
    uint64_t _bytes{0};
    std::chrono::steady_clock::time_point _start;
};

base::error<errc> corrupt(const std::string& what) {
    return base::make_error(errc::corrupted, what);
}

// Whether a data batch belongs to an aborted transaction.
bool is_aborted(const compaction_job& job, const model::record_batch_header& h) {
    if (!h.is_transactional() || h.is_control()) {
        return false;
    }
    return std::any_of(job.aborted.begin(), job.aborted.end(), [&](const auto& a) {
        return a.producer_id == h.producer_id && a.first_offset() <= h.base_offset
            && h.base_offset <= a.last_offset();
    });
}

// Maps each key of the dirty segments to its latest offset, until the map
// holds max_keys keys. Returns the offset the map covers up to.
result<model::offset> build_key_map(const compaction_job& job, key_map& map,
                                    io_throttle& throttle) {
    model::offset covered = job.dirty_start;
    for (const auto& in : job.segments) {
        bool full = false;
        std::optional<base::error<errc>> failure;
        auto stop = scan_batches(*in.log, 0, in.size_bytes, [&](located_batch& lb) {
            const auto& b = lb.batch;
            throttle.account(b.size_bytes());
            if (b.last_offset() < job.dirty_start) {
                return true;
            }
            if (!b.header().is_control() && !is_aborted(job, b.header())) {
                auto reader = model::record_reader::open(
                    b, model::parse_options::default_max_uncompressed_bytes);
                if (!reader) {
                    failure = corrupt(reader.message());
                    return false;
                }
                // A batch is mapped whole or not at all; the first always
                // is, so every pass makes progress.
                key_map::size_type room =
                    job.max_keys - std::min(job.max_keys, map.size());
                if (!map.empty() && static_cast<size_t>(b.record_count()) > room) {
                    full = true;
                    return false;
                }
                while (true) {
                    auto rec = reader->next();
                    if (!rec) {
                        failure = corrupt(rec.message());
                        return false;
                    }
                    if (*rec == nullptr) {
                        break;
                    }
                    if ((*rec)->key) {
                        map[hash_key(*(*rec)->key)] = (*rec)->offset;
                    }
                }
            }
            covered = model::offset(b.last_offset()() + 1);
            return true;
        });
        if (failure) {
            return *failure;
        }
        if (auto whole = require_whole(stop, fmt::format("segment {}", in.base));
            !whole) {
            return whole.error_value();
        }
        if (full) {
            break;
        }
    }
    return covered;
}

struct batch_filter {
    const key_map& map;
    model::offset map_end;
    const compaction_job& job;
    uint64_t removed{0};

    bool keep(const model::record_view& r) const {
        if (!r.key) {
            return true;
        }
        if (r.offset < map_end) {
            auto it = map.find(hash_key(*r.key));
            if (it != map.end() && it->second > r.offset) {
                return false; // a later record of the key supersedes it
            }
        }
        bool latest = r.offset < map_end;
        bool expired_tombstone =
            !r.value && job.now_ms - r.timestamp > job.delete_retention_ms;
        return !(latest && expired_tombstone);
    }

    // The batch to write in place of `b`: itself, a rebuilt one, or none.
    result<std::optional<model::record_batch>> apply(const model::record_batch& b) {
        if (b.header().is_control() || b.base_offset() >= map_end) {
            return std::optional<model::record_batch>(b.share());
        }
        if (is_aborted(job, b.header())) {
            removed += static_cast<uint64_t>(b.record_count());
            return std::optional<model::record_batch>{};
        }
        auto reader = model::record_reader::open(
            b, model::parse_options::default_max_uncompressed_bytes);
        if (!reader) {
            return corrupt(reader.message());
        }
        base::iobuf kept;
        int32_t kept_count = 0;
        int32_t total = 0;
        while (true) {
            auto rec = reader->next();
            if (!rec) {
                return corrupt(rec.message());
            }
            if (*rec == nullptr) {
                break;
            }
            ++total;
            if (keep(**rec)) {
                model::record_batch_builder::encode_record(**rec, kept);
                ++kept_count;
            }
        }
        removed += static_cast<uint64_t>(total - kept_count);
        if (kept_count == total) {
            return std::optional<model::record_batch>(b.share());
        }
        if (kept_count == 0) {
            return std::optional<model::record_batch>{};
        }
        return std::optional<model::record_batch>(
            model::record_batch_builder::rebuild(b.header(), kept, kept_count));
    }
};

result<compacted_segment> clean_segment(file_system& fs, const compaction_job& job,
                                        const compaction_job::input& in,
                                        batch_filter& filter, io_throttle& throttle) {
    compacted_segment out{
        in.base, in.log, join_path(job.dir, segment::file_name(in.base, ".log.cleaned")),
        nullptr, 0,      segment_index(in.base, job.index_interval_bytes)};
    auto f = fs.open(out.cleaned_path, open_mode::truncate);
    if (!f) {
        return f.error_value();
    }
    out.cleaned = *f;
    std::optional<base::error<errc>> failure;
    auto stop = scan_batches(*in.log, 0, in.size_bytes, [&](located_batch& lb) {
        throttle.account(lb.batch.size_bytes());
        auto next = filter.apply(lb.batch);
        if (!next) {
            failure = next.error_value();
            return false;
        }
        if (!*next) {
            return true;
        }
        if (auto w = out.cleaned->write_at(out.size_bytes, (*next)->data()); !w) {
            failure = w.error_value();
            return false;
        }
        out.index.add((*next)->header(), out.size_bytes, (*next)->size_bytes());
        out.size_bytes += (*next)->size_bytes();
        return true;
    });
    if (failure) {
        return *failure;
    }
    if (auto whole = require_whole(stop, fmt::format("segment {}", in.base)); !whole) {
        return whole.error_value();
    }
    if (auto r = out.cleaned->datasync(); !r) {
        return r.error_value();
    }
    return out;
}

} // namespace

result<compaction_outcome> run_compaction(file_system& fs, const compaction_job& job) {
    key_map map;
    io_throttle throttle(job.max_bytes_per_second);
    auto covered = build_key_map(job, map, throttle);
    if (!covered) {
        return covered.error_value();
    }
    compaction_outcome outcome;
    outcome.generation = job.generation;
    outcome.clean_up_to = *covered;
    batch_filter filter{map, *covered, job};
    for (const auto& in : job.segments) {
        if (in.base >= *covered) {
            break;
        }
        auto cleaned = clean_segment(fs, job, in, filter, throttle);
        if (!cleaned) {
            for (const auto& done : outcome.segments) {
                (void)fs.remove(done.cleaned_path);
            }
            (void)fs.remove(
                join_path(job.dir, segment::file_name(in.base, ".log.cleaned")));
            return cleaned.error_value();
        }
        outcome.bytes_before += in.size_bytes;
        outcome.bytes_after += cleaned->size_bytes;
        outcome.segments.push_back(std::move(*cleaned));
    }
    outcome.records_removed = filter.removed;
    log.debug(
        "{}: compacted {} segments up to offset {}: {} -> {} bytes, {} records removed",
        job.dir, outcome.segments.size(), outcome.clean_up_to, outcome.bytes_before,
        outcome.bytes_after, outcome.records_removed);
    return outcome;
}

} // namespace storage
