#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace storage {

// A partition log's settings, in Kafka's topic-config terms (the Kafka
// layer fills it from segment.bytes, segment.ms, retention.ms, ...).
struct log_config {
    static constexpr int64_t no_limit = -1;

    // segment.bytes: a segment closes before it would exceed this.
    size_t segment_bytes = size_t{1} << 30;
    // segment.ms: a non-empty segment older than this closes on the next
    // append.
    int64_t segment_ms = int64_t{7} * 24 * 3600 * 1000;
    // index.interval.bytes: bytes of log between two index entries.
    size_t index_interval_bytes = 4096;

    // cleanup.policy: delete, compact, or both.
    bool cleanup_delete = true;
    bool cleanup_compact = false;
    // retention.ms / retention.bytes (no_limit: keep forever).
    int64_t retention_ms = int64_t{7} * 24 * 3600 * 1000;
    int64_t retention_bytes = no_limit;
    // delete.retention.ms: how long a tombstone outlives its compaction.
    int64_t delete_retention_ms = int64_t{24} * 3600 * 1000;
    // min.cleanable.dirty.ratio: compact once this share of the cleanable
    // log has not been compacted yet.
    double min_cleanable_dirty_ratio = 0.5;
    // Bound on the keys one compaction pass tracks (memory: about 32
    // bytes a key); a larger dirty section is compacted over several
    // passes.
    size_t compaction_max_keys = size_t{1} << 20;
};

// Milliseconds since the epoch; injected so tests and simulations control
// time.
using clock_ms = std::function<int64_t()>;
clock_ms system_clock_ms();

} // namespace storage
