#pragma once

#include "base/iobuf.h"
#include "model/errc.h"
#include "model/record_batch.h"
#include "storage/file.h"
#include "storage/segment_index.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace storage {

// What a walk over a segment's bytes found where it stopped.
struct scan_stop {
    enum class kind {
        end,     // the end of the file, after a whole batch
        partial, // a batch cut short by the end of the file
        invalid, // bytes that are no batch (bad length, CRC, offsets)
    };
    kind what{kind::end};
    uint64_t position{0};
    std::string reason;
};

// A batch read back together with where it starts in the segment.
struct located_batch {
    model::record_batch batch;
    uint64_t position;
};

// What read() gives: whole batches, shared out of one read buffer.
struct read_result {
    base::iobuf data;
    model::offset first_offset{-1};
    model::offset last_offset{-1};
    size_t batch_count{0};
};

// Walks the whole batches of `log` between `position` and `end`, calling
// `fn` until it returns false. Batches are checked (length, CRC) as read.
result<scan_stop> scan_batches(file& log, uint64_t position, uint64_t end,
                               const std::function<bool(located_batch&)>& fn);

// The error a walk over `where` ended with, or, when it stopped before the
// end (a bad or cut batch), a corrupted error saying where; ok at the end.
result<void> require_whole(const result<scan_stop>& stop, std::string_view where);

// One segment of a partition log: a file of record batches laid end to end
// (exactly as on the wire, offsets assigned), named by its base offset, and
// its sparse indexes. Appends go to the end; nothing in it is rewritten in
// place (compaction writes a new file and renames it over).
class segment {
public:
    static std::string file_name(model::offset base, std::string_view extension);

    // A new, empty segment.
    static result<std::unique_ptr<segment>> create(file_system& fs,
                                                   const std::string& dir,
                                                   model::offset base,
                                                   size_t index_interval_bytes,
                                                   int64_t now_ms);
    // How open() treats an existing segment.
    enum class open_as {
        // Its index files are used when intact and current.
        closed,
        // Every batch is checked, and held to what our appends write
        // (see rebuild_index): the active segment at recovery.
        tail,
    };
    // An existing segment. Indexes are rebuilt by a scan that checks
    // every batch when they are not loaded, and what the scan stopped at
    // is returned through `stop` (end for a healthy file).
    static result<std::unique_ptr<segment>> open(file_system& fs, const std::string& dir,
                                                 model::offset base,
                                                 size_t index_interval_bytes,
                                                 int64_t now_ms, open_as how,
                                                 scan_stop& stop);
    // A segment over a file whose batches and index are already known
    // (a compacted replacement).
    static std::unique_ptr<segment> adopt(file_system& fs, const std::string& dir,
                                          model::offset base, size_t index_interval_bytes,
                                          std::shared_ptr<file> log, segment_index index,
                                          uint64_t size_bytes, int64_t created_ms);

    model::offset base_offset() const { return _base; }
    // One past the last batch (the base offset when empty).
    model::offset next_offset() const { return _index.next_offset(); }
    uint64_t size_bytes() const { return _size; }
    uint64_t flushed_bytes() const { return _flushed_size; }
    bool empty() const { return _size == 0; }
    int64_t created_ms() const { return _created_ms; }
    int64_t max_timestamp() const { return _index.max_timestamp(); }
    model::offset max_timestamp_batch() const { return _index.max_timestamp_batch(); }
    const segment_index& index() const { return _index; }
    const std::shared_ptr<file>& log_file() const { return _log; }

    // Writes the batch at the end. On failure the file is cut back to its
    // old size (nothing half-written stays) and the error is returned.
    result<void> append(const model::record_batch& batch);

    // Walks whole batches from `position`, calling `fn` until it returns
    // false or the file ends. Batches are checked (length, CRC) as read.
    result<scan_stop> for_each_batch(uint64_t position,
                                     const std::function<bool(located_batch&)>& fn) const;

    // Batches from the one holding `start` on, up to `max_bytes` (at least
    // one batch whatever its size when `at_least_one`) and not past
    // `max_offset`, appended to `out`. True when it stopped for the budget
    // or max_offset (rather than at the segment's end).
    result<bool> read(model::offset start, size_t max_bytes, model::offset max_offset,
                      bool at_least_one, read_result& out) const;

    // The position of the batch that starts at `offset`; invalid_argument
    // when no batch starts there.
    result<uint64_t> position_of(model::offset offset) const;

    // Drops every batch from `position` on; the file is cut and synced.
    result<void> truncate_to(uint64_t position);

    // fdatasync when something was written since the last one.
    result<void> flush();
    // After a datasync done elsewhere (a helper thread) that covered the
    // first `size_bytes` bytes.
    void mark_flushed(uint64_t size_bytes);

    // Persists the indexes (for a segment that takes no more appends).
    // Not synced: a torn index file fails its checksum and is rebuilt.
    result<void> write_indexes() const;
    // Rebuilds the in-memory indexes by scanning the whole file. The
    // `tail` (active) segment is held to what our appends write: offsets
    // without gaps, epochs that never decrease.
    result<scan_stop> rebuild_index(bool tail);
    // Deletes the segment's files.
    result<void> remove_files();

    std::string log_path() const;
    std::string path(std::string_view extension) const;

private:
    segment(file_system& fs, std::string dir, model::offset base,
            size_t index_interval_bytes, std::shared_ptr<file> log, int64_t created_ms);

    file_system& _fs;
    std::string _dir;
    model::offset _base;
    size_t _index_interval_bytes;
    std::shared_ptr<file> _log;
    segment_index _index;
    uint64_t _size{0};
    uint64_t _flushed_size{0};
    int64_t _created_ms;
};

} // namespace storage
