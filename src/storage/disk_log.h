#pragma once

#include "model/fundamental.h"
#include "model/record_batch.h"
#include "storage/compaction.h"
#include "storage/epoch_map.h"
#include "storage/file.h"
#include "storage/log_config.h"
#include "storage/producer_state.h"
#include "storage/segment.h"

#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace storage {

struct log_offsets {
    // The first offset a reader may ask for.
    model::offset log_start;
    // One past the last batch: the next offset to assign.
    model::offset next_offset;
    // Everything before this offset is on disk (fdatasync completed).
    model::offset flushed_offset;
    uint64_t size_bytes{0};
    size_t segment_count{0};
};

struct append_result {
    model::offset base_offset;
    model::offset last_offset;
    // A producer's retry of a batch already in the log: nothing was
    // appended, the offsets and timestamp are the original's.
    bool duplicate{false};
    int64_t duplicate_timestamp{-1};
};

struct timequery_result {
    // The first record at or after the timestamp asked for, and its own.
    model::offset offset;
    int64_t timestamp;
};

// What an asynchronous flush needs done (fdatasync of these files, then of
// the directory when asked) and, once done, what it made durable. Taken
// on the owning shard, executed by a helper thread, completed on the shard.
struct flush_plan {
    struct target {
        std::shared_ptr<file> log;
        model::offset segment_base;
        uint64_t size_bytes;
    };
    std::vector<target> files;
    bool sync_directory{false};
    uint64_t directory_version{0};
    model::offset next_offset;
    uint64_t generation{0};
};

// A partition's log: its segments, in offset order, the last one active.
//
// Single-threaded: it belongs to one shard. Its calls block on the file
// layer; the shard-facing wrapper (log_flusher and the Kafka handlers)
// takes the blocking fdatasync off the shard with flush plans.
class disk_log {
public:
    static result<std::unique_ptr<disk_log>> open(file_system& fs, std::string dir,
                                                  log_config config, clock_ms clock);
    ~disk_log();
    disk_log(const disk_log&) = delete;
    disk_log& operator=(const disk_log&) = delete;

    // Assigns the batch its offsets (from the next offset on) and stamps
    // `term` in its partition leader epoch, then appends it.
    result<append_result> append(model::record_batch& batch, model::term_id term);
    // What the producer state says of a batch about to be appended: nothing
    // (accept), a producer's retry (the original's offsets, duplicate set),
    // or why it is refused. append() asks it; so does a Raft leader before
    // it proposes a batch that append_exact() will write.
    result<std::optional<append_result>> check_producer(
        const model::record_batch_header& header) const;
    // Appends a batch whose offsets are already set (a Raft follower
    // copying its leader); they must start at the next offset.
    result<append_result> append_exact(const model::record_batch& batch);
    // Whether appending `size_bytes` more would close the active segment
    // first (a caller that flushes asynchronously flushes before it, so
    // the roll's own flush finds nothing to do).
    bool needs_roll(size_t size_bytes) const;

    // Whole batches from the one holding `start`, up to `max_bytes` (at
    // least one batch when `at_least_one`), none past `max_offset`.
    result<read_result> read(
        model::offset start, size_t max_bytes,
        model::offset max_offset = model::offset(std::numeric_limits<int64_t>::max()),
        bool at_least_one = true);

    // The first record whose timestamp is at or after `timestamp`.
    result<std::optional<timequery_result>> timequery(int64_t timestamp);
    // The largest batch timestamp in the log and the batch holding it.
    std::optional<timequery_result> max_timestamp() const;

    // Removes every batch from `offset` on; `offset` must start a batch
    // or be the next offset. Durable on return.
    result<void> truncate(model::offset offset);
    // Moves the log start to `offset` (DeleteRecords): durable on return;
    // segments wholly before it are deleted.
    result<void> prefix_truncate(model::offset offset);

    // fdatasync of everything appended so far, on the calling thread.
    result<void> flush();
    flush_plan prepare_flush() const;
    void complete_flush(const flush_plan& plan);
    // A plan whose fdatasync failed: the log takes no more writes until
    // reopened (see fail_io in disk_log.cc).
    void fail_flush(const base::error<errc>& e);
    // Bumped by every truncation: a plan of an older generation covers
    // bytes that may be gone.
    uint64_t generation() const { return _generation; }

    // Deletes closed segments by retention.ms and retention.bytes (when
    // the cleanup policy has delete), at most `max_segments` per call, and
    // none holding an offset past `max_offset` (the high watermark: what
    // Raft may still truncate is never deleted). Returns how many went.
    result<size_t> apply_retention(
        size_t max_segments,
        model::offset max_offset = model::offset(std::numeric_limits<int64_t>::max()));

    // Key-based compaction of the closed segments wholly at or below
    // `max_offset` (Raft passes its commit index: nothing it may still
    // truncate is compacted). See compaction.h for the three steps;
    // compact() runs them on the calling thread, when the policy has
    // compact and the dirty ratio reaches min.cleanable.dirty.ratio.
    // Returns whether it compacted.
    result<bool> compact(
        model::offset max_offset = model::offset(std::numeric_limits<int64_t>::max()));
    compaction_job plan_compaction(model::offset max_offset) const;
    result<void> finish_compaction(compaction_outcome outcome);
    // Bytes of the closed segments at or below `max_offset` not compacted
    // yet, over all of their bytes (0 when there are none).
    double dirty_ratio(model::offset max_offset =
                           model::offset(std::numeric_limits<int64_t>::max())) const;

    // Writes the indexes of the closed segments' and flushes.
    result<void> close();

    log_offsets offsets() const;
    // Where the active segment starts: everything before is in closed
    // segments.
    model::offset active_segment_base() const { return active().base_offset(); }
    const epoch_map& epochs() const { return _epochs; }
    // Every producer that wrote to this log, as of its end.
    const producer_state& producers() const { return _producers; }
    // The first offset of the earliest open transaction, or the log end:
    // read_committed consumers read below it.
    model::offset last_stable_offset() const;
    // Forgets producers idle for expiration_ms (producer.id.expiration.ms).
    size_t expire_producers(int64_t expiration_ms);
    // Where corruption was found: nothing at or after it is served.
    std::optional<model::offset> corrupted_at() const { return _corrupted_at; }
    const std::string& directory() const { return _dir; }
    const log_config& config() const { return _config; }
    void set_config(const log_config& config) { _config = config; }

private:
    disk_log(file_system& fs, std::string dir, log_config config, clock_ms clock);
    result<void> recover();
    result<void> open_segments(const std::vector<model::offset>& bases);
    result<void> roll(model::offset next_base);
    result<void> store_meta();
    void directory_changed() { ++_directory_version; }
    result<void> sync_directory_if_changed();
    base::error<errc> fail_io(base::error<errc> e);
    result<append_result> append_checked(const model::record_batch& batch);
    // Producer state: kept up to date by every append, rebuilt at recovery
    // (and after a truncation) from the newest usable snapshot at or below
    // the log end plus the batches after it.
    void apply_to_producers(const model::record_batch& batch);
    result<void> rebuild_producers();
    result<void> replay_producers(model::offset from);
    result<void> snapshot_producers(model::offset at);
    segment& active() { return *_segments.back(); }
    const segment& active() const { return *_segments.back(); }
    // The segment holding `offset` (the last with base <= offset).
    size_t segment_index_for(model::offset offset) const;
    result<void> remove_front_segment();
    void mark_corrupted(model::offset offset, const std::string& what);
    // The closed segments compaction may touch: [0, count).
    size_t compactable_segments(model::offset max_offset) const;

    file_system& _fs;
    std::string _dir;
    log_config _config;
    clock_ms _clock;
    std::deque<std::unique_ptr<segment>> _segments;
    epoch_map _epochs;
    producer_state _producers;
    // Epoch entries not yet in partition.meta.
    bool _meta_dirty{false};
    model::offset _log_start{0};
    model::offset _flushed_offset{0};
    // Directory changes (segments created or removed) and how many of
    // them an fsync of the directory covers.
    uint64_t _directory_version{0};
    uint64_t _directory_synced{0};
    std::optional<base::error<errc>> _io_failure;
    uint64_t _generation{0};
    std::optional<model::offset> _corrupted_at;
    // Compaction has covered the log up to here (in memory: after a
    // restart everything counts as dirty once).
    model::offset _compacted_up_to{0};
};

} // namespace storage
