#pragma once

#include "model/fundamental.h"
#include "storage/file.h"
#include "storage/producer_state.h"
#include "storage/segment_index.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace storage {

// Key-based compaction (cleanup.policy=compact), in three steps so that the
// work can leave the shard:
// 1. disk_log::plan_compaction, on the shard: the closed segments to clean
//    (immutable files, held open) and the settings.
// 2. run_compaction, on any thread: reads the dirty segments into a map
//    from key to its latest offset (bounded: compaction_max_keys keys), then
//    writes each segment's survivors to `<base>.log.cleaned`, synced. The
//    log itself is not touched, so appends and reads go on meanwhile.
// 3. disk_log::finish_compaction, on the shard: each cleaned file replaces
//    its segment by rename, unless retention or truncation took the
//    segment in the meantime.
//
// A record survives unless a later record of its key lies in the mapped
// range, or it is a tombstone (null value) that is the latest of its key and
// older than delete.retention.ms (by its timestamp). Records without a key
// and control batches are kept. Batches keep their offsets (base and last),
// timestamps, producer fields and compression: survivors are re-encoded
// with their original deltas, so no offset moves. A batch left with no
// records goes; a segment left empty stays, as an empty file.
struct compaction_job {
    struct input {
        model::offset base;
        std::shared_ptr<file> log;
        uint64_t size_bytes{0};
    };
    // The closed segments that may be cleaned, in offset order.
    std::vector<input> segments;
    // The log's generation when planned: a truncation since voids the job.
    uint64_t generation{0};
    // Where the part never compacted yet starts.
    model::offset dirty_start;
    std::string dir;
    size_t index_interval_bytes{4096};
    size_t max_keys{1 << 20};
    int64_t now_ms{0};
    int64_t delete_retention_ms{0};
    // log.cleaner.io.max.bytes.per.second: bytes read a second, at most
    // (0: no limit). The pass sleeps on its own thread to keep to it.
    uint64_t max_bytes_per_second{0};
    // The aborted transactions among the segments: their records are
    // dropped and never supersede a committed record of the same key (as
    // Kafka's cleaner does); their markers stay.
    std::vector<aborted_transaction> aborted;
};

struct compacted_segment {
    model::offset base;
    // The file it replaces, to check it is still the segment's.
    std::shared_ptr<file> original;
    std::string cleaned_path;
    std::shared_ptr<file> cleaned;
    uint64_t size_bytes{0};
    segment_index index;
};

struct compaction_outcome {
    uint64_t generation{0};
    std::vector<compacted_segment> segments;
    // The map covered the log up to here: the next pass starts from it.
    model::offset clean_up_to;
    uint64_t bytes_before{0};
    uint64_t bytes_after{0};
    uint64_t records_removed{0};
};

// Blocks (reads, writes, fdatasync, throttling sleeps): run it off the
// shard.
result<compaction_outcome> run_compaction(file_system& fs, const compaction_job& job);

} // namespace storage
