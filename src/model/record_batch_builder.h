#pragma once

#include "base/iobuf.h"
#include "model/compression.h"
#include "model/fundamental.h"
#include "model/record.h"
#include "model/record_batch.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace model {

// A record to append; the builder copies its bytes.
struct record_data {
    std::optional<std::span<const uint8_t>> key;
    std::optional<std::span<const uint8_t>> value;
    std::vector<record_header_view> headers;
    int64_t timestamp{no_timestamp};
};

// Builds a v2 batch the way Kafka's clients do: offset deltas 0, 1, 2...,
// baseTimestamp the first record's, maxTimestamp the largest, the records
// compressed as one stream, the CRC computed last. For storage (control
// batches, compaction) and tests.
class record_batch_builder {
public:
    record_batch_builder& set_base_offset(model::offset base);
    record_batch_builder& set_partition_leader_epoch(model::term_id term);
    record_batch_builder& set_compression(compression_type type,
                                          const compress_options& options = {});
    record_batch_builder& set_producer(int64_t producer_id, int16_t producer_epoch,
                                       int32_t base_sequence);
    record_batch_builder& set_transactional(bool transactional = true);
    record_batch_builder& set_control(bool control = true);
    // Timestamp type LogAppendTime, with `now` as maxTimestamp.
    record_batch_builder& set_log_append_time(int64_t now);

    record_batch_builder& add_record(const record_data& record);
    // A control record: key {version 0, type}, then `value` as given (see
    // transaction_marker_value for commit and abort).
    record_batch_builder& add_control_record(
        control_record_type type, std::optional<std::span<const uint8_t>> value,
        int64_t timestamp);

    int32_t record_count() const { return _count; }

    // The batch; the builder can go on. Without records, an empty batch
    // over one offset (lastOffsetDelta 0), as compaction leaves them.
    record_batch build() const;

    // For compaction: a record as it stood in its batch (same offset and
    // timestamp deltas), appended to `out`.
    static void encode_record(const record_view& record, base::iobuf& out);
    // `original`'s header (offsets, timestamps, producer, attributes) over
    // other records: `records`, encoded uncompressed, `count` of them,
    // compressed as the original's were. The CRC is recomputed.
    static record_batch rebuild(const record_batch_header& original,
                                const base::iobuf& records, int32_t count);
    // `batch` with its records compressed by `type` instead (a topic's
    // compression.type): every field and record as it was, the CRC anew.
    static batch_result<record_batch> recompress(const record_batch& batch,
                                                 compression_type type,
                                                 size_t max_uncompressed_bytes);

private:
    record_batch_header _header;
    compress_options _compress_options;
    bool _log_append_time{false};
    int32_t _count{0};
    timestamp_range _timestamps;
    base::iobuf _records;
    std::vector<uint8_t> _scratch;
};

// An EndTransactionMarker's value: version 0, then the coordinator epoch.
std::vector<uint8_t> transaction_marker_value(int32_t coordinator_epoch);

} // namespace model
