#pragma once

#include "base/iobuf.h"
#include "model/fundamental.h"
#include "model/record_batch.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace storage {

// The sparse offset and time indexes of one segment, in memory. An offset
// entry maps a batch's base offset (relative to the segment's) to its file
// position, one every `interval_bytes` of log; a time entry records the
// largest timestamp seen so far and the batch where it was reached. Both
// only ever point at batch boundaries, so a lookup gives a place to start
// scanning, never a place inside a batch.
//
// Closed segments persist them (`.index`, `.timeindex`) with the log size
// they cover and a checksum; a file that is missing, torn or stale (it
// covers another size than the log file has) is rebuilt by scanning.
class segment_index {
public:
    struct offset_entry {
        uint32_t relative_offset;
        uint32_t position;
        bool operator==(const offset_entry&) const = default;
    };
    struct time_entry {
        int64_t timestamp;
        uint32_t relative_offset;
        bool operator==(const time_entry&) const = default;
    };

    segment_index(model::offset base, size_t interval_bytes);

    // Every batch of the segment, in order, as it is appended or scanned.
    void add(const model::record_batch_header& header, uint64_t position,
             size_t size_bytes);
    // The position of the last indexed batch whose base offset is at most
    // `target`: where a scan for `target` starts.
    uint64_t position_for(model::offset target) const;
    // The offset from which a scan for the first batch with a timestamp
    // at or after `timestamp` may start: every batch before it is older.
    model::offset scan_start_for_timestamp(int64_t timestamp) const;
    // One past the last batch added: the segment's next offset.
    model::offset next_offset() const { return _next_offset; }
    // The largest batch max-timestamp so far, and the batch that has it.
    int64_t max_timestamp() const { return _max_timestamp; }
    model::offset max_timestamp_batch() const { return _max_timestamp_batch; }

    // Serialised forms; `covered_bytes` is the log size they describe. The
    // offset file also keeps the next offset and the maximum timestamp.
    base::iobuf encode_offsets(uint64_t covered_bytes) const;
    base::iobuf encode_times(uint64_t covered_bytes) const;
    // Replaces this index with what the files say, when both are intact
    // and cover exactly `covered_bytes`; false otherwise.
    bool decode(const base::iobuf& offsets, const base::iobuf& times,
                uint64_t covered_bytes);

    const std::vector<offset_entry>& offset_entries() const { return _offsets; }
    const std::vector<time_entry>& time_entries() const { return _times; }

private:
    uint32_t relative(model::offset o) const;

    model::offset _base;
    size_t _interval_bytes;
    std::vector<offset_entry> _offsets;
    std::vector<time_entry> _times;
    uint64_t _bytes_since_offset_entry{0};
    uint64_t _bytes_since_time_entry{0};
    int64_t _max_timestamp{model::no_timestamp};
    model::offset _max_timestamp_batch{-1};
    model::offset _next_offset;
};

} // namespace storage
