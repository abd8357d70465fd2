#include "storage/segment.h"

#include "base/logger.h"
#include "base/vassert.h"
#include "model/batch_walker.h"
#include "model/record_batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace storage {
namespace {

base::logger log{"storage"};

// Reads go through chunks of this size; a bigger batch gets a read of its
// own size.
constexpr size_t scan_chunk_bytes = 128 * 1024;

model::parse_options header_and_crc_only() {
    model::parse_options o;
    o.verify_records = false;
    return o;
}

} // namespace

std::string segment::file_name(model::offset base, std::string_view extension) {
    return offset_file_name(base(), extension);
}

segment::segment(file_system& fs, std::string dir, model::offset base,
                 size_t index_interval_bytes, std::shared_ptr<file> log,
                 int64_t created_ms)
  : _fs(fs)
  , _dir(std::move(dir))
  , _base(base)
  , _index_interval_bytes(index_interval_bytes)
  , _log(std::move(log))
  , _index(base, index_interval_bytes)
  , _created_ms(created_ms) {}

std::string segment::path(std::string_view extension) const {
    return join_path(_dir, file_name(_base, extension));
}

std::string segment::log_path() const {
    return path(".log");
}

result<std::unique_ptr<segment>> segment::create(file_system& fs, const std::string& dir,
                                                 model::offset base,
                                                 size_t index_interval_bytes,
                                                 int64_t now_ms) {
    auto f = fs.open(join_path(dir, file_name(base, ".log")), open_mode::truncate);
    if (!f) {
        return f.error_value();
    }
    // Index files of an older segment with the same base would describe
    // other bytes; they are checked on load anyway, but go now.
    for (auto ext : {".index", ".timeindex"}) {
        if (auto r = fs.remove(join_path(dir, file_name(base, ext))); !r) {
            return r.error_value();
        }
    }
    return std::unique_ptr<segment>(
        new segment(fs, dir, base, index_interval_bytes, std::move(*f), now_ms));
}

std::unique_ptr<segment> segment::adopt(file_system& fs, const std::string& dir,
                                        model::offset base, size_t index_interval_bytes,
                                        std::shared_ptr<file> log, segment_index index,
                                        uint64_t size_bytes, int64_t created_ms) {
    std::unique_ptr<segment> s(
        new segment(fs, dir, base, index_interval_bytes, std::move(log), created_ms));
    s->_index = std::move(index);
    s->_size = size_bytes;
    s->_flushed_size = size_bytes;
    return s;
}

result<std::unique_ptr<segment>> segment::open(file_system& fs, const std::string& dir,
                                               model::offset base,
                                               size_t index_interval_bytes,
                                               int64_t now_ms, open_as how,
                                               scan_stop& stop) {
    bool force_scan = how == open_as::tail;
    auto f = fs.open(join_path(dir, file_name(base, ".log")), open_mode::existing);
    if (!f) {
        return f.error_value();
    }
    auto size = (*f)->size();
    if (!size) {
        return size.error_value();
    }
    std::unique_ptr<segment> s(
        new segment(fs, dir, base, index_interval_bytes, std::move(*f), now_ms));
    s->_size = *size;
    s->_flushed_size = *size;
    stop = scan_stop{scan_stop::kind::end, *size, {}};
    if (!force_scan) {
        auto offsets = read_whole_file(fs, s->path(".index"));
        auto times = read_whole_file(fs, s->path(".timeindex"));
        if (offsets && times && s->_index.decode(*offsets, *times, *size)) {
            return s;
        }
        log.info("{}: index missing or stale, rebuilding", s->log_path());
    }
    auto scanned = s->rebuild_index(force_scan);
    if (!scanned) {
        return scanned.error_value();
    }
    stop = std::move(*scanned);
    return s;
}

result<void> segment::append(const model::record_batch& batch) {
    vassert(batch.base_offset() >= next_offset(),
            "append of offset {} behind the segment's next offset {}",
            batch.base_offset(), next_offset());
    if (auto r = _log->write_at(_size, batch.data()); !r) {
        // Cut away whatever part of the batch reached the file, so the log
        // stays a sequence of whole batches; shrinking needs no space.
        if (auto t = _log->truncate(_size); !t) {
            log.error("{}: cannot cut a failed append back: {}", log_path(), t.message());
        }
        return r;
    }
    _index.add(batch.header(), _size, batch.size_bytes());
    _size += batch.size_bytes();
    return base::ok;
}

result<scan_stop> segment::for_each_batch(
    uint64_t position, const std::function<bool(located_batch&)>& fn) const {
    return scan_batches(*_log, position, _size, fn);
}

result<void> require_whole(const result<scan_stop>& stop, std::string_view where) {
    if (!stop) {
        return stop.error_value();
    }
    if (stop->what != scan_stop::kind::end) {
        return base::make_error(
            errc::corrupted,
            fmt::format("{} at position {}: {}", where, stop->position, stop->reason));
    }
    return base::ok;
}

result<scan_stop> scan_batches(file& log, uint64_t position, uint64_t end,
                               const std::function<bool(located_batch&)>& fn) {
    uint64_t pos = position;
    size_t want = scan_chunk_bytes;
    while (pos < end) {
        size_t len = static_cast<size_t>(std::min<uint64_t>(want, end - pos));
        auto chunk = log.read_at(pos, len);
        if (!chunk) {
            return chunk.error_value();
        }
        if (chunk->size_bytes() < len) {
            return scan_stop{scan_stop::kind::partial, pos, "file shorter than expected"};
        }
        model::batch_walker walker(chunk->share(), header_and_crc_only());
        while (true) {
            uint64_t at = pos + walker.position();
            auto next = walker.next();
            if (!next) {
                return scan_stop{scan_stop::kind::invalid, at,
                                 std::string(model::to_string(next.code())) + ": "
                                     + next.message()};
            }
            if (!next->has_value()) {
                break;
            }
            located_batch lb{std::move(**next), at};
            if (!fn(lb)) {
                return scan_stop{scan_stop::kind::end, at, {}};
            }
        }
        if (walker.position() > 0) {
            pos += walker.position();
            want = scan_chunk_bytes;
            continue;
        }
        // The batch at `pos` did not fit the chunk: read it whole, unless
        // the file ends before it does.
        auto size = model::peek_batch_size(*chunk);
        if (!size) {
            return scan_stop{scan_stop::kind::invalid, pos, std::string(size.message())};
        }
        if (pos + *size > end) {
            return scan_stop{
                scan_stop::kind::partial, pos,
                fmt::format("batch of {} bytes cut short by the end of the file", *size)};
        }
        want = *size;
    }
    return scan_stop{scan_stop::kind::end, pos, {}};
}

result<scan_stop> segment::rebuild_index(bool tail) {
    segment_index fresh(_base, _index_interval_bytes);
    std::string bad;
    uint64_t bad_position = 0;
    model::term_id last_epoch(-1);
    auto stop = for_each_batch(0, [&](located_batch& lb) {
        // The CRC does not cover a batch's base offset and leader epoch:
        // check what can be checked of them. In the tail, which only our
        // appends wrote, offsets run on without gaps and epochs never go
        // back; anywhere, offsets increase and fit the index.
        const auto& b = lb.batch;
        model::offset expected = fresh.next_offset();
        int64_t relative_last = b.last_offset()() - _base();
        if (b.base_offset() < expected
            || relative_last > std::numeric_limits<uint32_t>::max()
            || lb.position + b.size_bytes() > std::numeric_limits<uint32_t>::max()) {
            bad = fmt::format("batch at offset {} where offset {} or later belongs",
                              b.base_offset(), expected);
        } else if (tail && b.base_offset() != expected) {
            bad = fmt::format("batch at offset {} after a gap from {}", b.base_offset(),
                              expected);
        } else if (tail && b.leader_epoch() < last_epoch) {
            bad = fmt::format("batch of epoch {} after epoch {}", b.leader_epoch(),
                              last_epoch);
        }
        if (!bad.empty()) {
            bad_position = lb.position;
            return false;
        }
        last_epoch = std::max(last_epoch, b.leader_epoch());
        fresh.add(b.header(), lb.position, b.size_bytes());
        return true;
    });
    if (!stop) {
        return stop;
    }
    _index = std::move(fresh);
    if (!bad.empty()) {
        return scan_stop{scan_stop::kind::invalid, bad_position, std::move(bad)};
    }
    return stop;
}

result<bool> segment::read(model::offset start, size_t max_bytes,
                           model::offset max_offset, bool at_least_one,
                           read_result& out) const {
    bool full = false;
    auto stop = for_each_batch(_index.position_for(start), [&](located_batch& lb) {
        const auto& b = lb.batch;
        if (b.last_offset() < start) {
            return true;
        }
        if (b.base_offset() > max_offset) {
            full = true;
            return false;
        }
        bool first = out.batch_count == 0;
        if (!(first && at_least_one)
            && out.data.size_bytes() + b.size_bytes() > max_bytes) {
            full = true;
            return false;
        }
        if (first) {
            out.first_offset = b.base_offset();
        }
        out.last_offset = b.last_offset();
        out.data.append(b.data().share());
        ++out.batch_count;
        return true;
    });
    if (auto whole = require_whole(stop, log_path()); !whole) {
        return whole.error_value();
    }
    return full;
}

result<uint64_t> segment::position_of(model::offset offset) const {
    if (offset == next_offset()) {
        return _size;
    }
    std::optional<uint64_t> found;
    auto stop = for_each_batch(_index.position_for(offset), [&](located_batch& lb) {
        if (lb.batch.base_offset() == offset) {
            found = lb.position;
        }
        return lb.batch.base_offset() < offset;
    });
    if (!stop) {
        return stop.error_value();
    }
    if (!found) {
        return base::make_error(
            errc::invalid_argument,
            fmt::format("no batch of {} starts at offset {}", log_path(), offset));
    }
    return *found;
}

result<void> segment::truncate_to(uint64_t position) {
    vassert(position <= _size, "truncation at {} beyond the size {}", position, _size);
    if (auto r = _log->truncate(position); !r) {
        return r;
    }
    // The file is cut: so is the segment, even if the sync below fails
    // (the next append must not leave a hole at the old end). The indexes
    // are rebuilt from what is left: truncation is rare (a Raft follower's
    // divergent suffix), and the rebuilt maximum timestamp is then exact.
    _size = position;
    _flushed_size = std::min(_flushed_size, position);
    if (auto r = require_whole(rebuild_index(false), log_path()); !r) {
        return r;
    }
    return _log->datasync();
}

result<void> segment::flush() {
    uint64_t size = _size;
    if (_flushed_size >= size) {
        return base::ok;
    }
    if (auto r = _log->datasync(); !r) {
        return r;
    }
    _flushed_size = size;
    return base::ok;
}

void segment::mark_flushed(uint64_t size_bytes) {
    _flushed_size = std::max(_flushed_size, std::min(size_bytes, _size));
}

result<void> segment::write_indexes() const {
    auto write = [&](std::string_view ext, const base::iobuf& bytes) -> result<void> {
        auto f = _fs.open(path(ext), open_mode::truncate);
        if (!f) {
            return f.error_value();
        }
        return (*f)->write_at(0, bytes);
    };
    if (auto r = write(".index", _index.encode_offsets(_size)); !r) {
        return r;
    }
    return write(".timeindex", _index.encode_times(_size));
}

result<void> segment::remove_files() {
    for (auto ext : {".index", ".timeindex", ".log"}) {
        if (auto r = _fs.remove(path(ext)); !r) {
            return r;
        }
    }
    return base::ok;
}

} // namespace storage
