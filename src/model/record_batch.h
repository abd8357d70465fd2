#pragma once

#include "base/iobuf.h"
#include "model/compression.h"
#include "model/errc.h"
#include "model/fundamental.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

// Kafka's record batch, magic 2: the only message format on the wire and
// on disk (Kafka 4.0 dropped magic 0 and 1).

namespace model {

inline constexpr int8_t current_magic = 2;
inline constexpr int64_t no_timestamp = -1;
inline constexpr int64_t no_producer_id = -1;
inline constexpr int16_t no_producer_epoch = -1;
inline constexpr int32_t no_sequence = -1;
inline constexpr int32_t no_partition_leader_epoch = -1;

enum class timestamp_type : uint8_t { create_time = 0, log_append_time = 1 };

// The bits of a batch's attributes; 7-15 are unused.
namespace batch_attributes {
inline constexpr int16_t compression_mask = 0x07;
inline constexpr int16_t timestamp_type_bit = 0x08;
inline constexpr int16_t transactional_bit = 0x10;
inline constexpr int16_t control_bit = 0x20;
// baseTimestamp holds the delete horizon of a compacted batch's tombstones.
inline constexpr int16_t delete_horizon_bit = 0x40;
} // namespace batch_attributes

// Where each header field starts, from the batch's first byte.
namespace batch_layout {
inline constexpr size_t base_offset = 0;
inline constexpr size_t batch_length = 8;
inline constexpr size_t partition_leader_epoch = 12;
inline constexpr size_t magic = 16;
inline constexpr size_t crc = 17;
// The CRC covers from here to the end of the batch.
inline constexpr size_t attributes = 21;
inline constexpr size_t last_offset_delta = 23;
inline constexpr size_t base_timestamp = 27;
inline constexpr size_t max_timestamp = 35;
inline constexpr size_t producer_id = 43;
inline constexpr size_t producer_epoch = 51;
inline constexpr size_t base_sequence = 53;
inline constexpr size_t record_count = 57;
inline constexpr size_t header_bytes = 61;
// baseOffset and batchLength precede what batchLength counts.
inline constexpr size_t log_overhead = 12;
inline constexpr int32_t min_batch_length = header_bytes - log_overhead;
} // namespace batch_layout

// The header as it is on the wire, field for field; nothing is checked.
struct record_batch_header {
    int64_t base_offset{0};
    int32_t batch_length{0};
    int32_t partition_leader_epoch{no_partition_leader_epoch};
    int8_t magic{current_magic};
    uint32_t crc{0};
    int16_t attributes{0};
    int32_t last_offset_delta{0};
    int64_t base_timestamp{no_timestamp};
    int64_t max_timestamp{no_timestamp};
    int64_t producer_id{no_producer_id};
    int16_t producer_epoch{no_producer_epoch};
    int32_t base_sequence{no_sequence};
    int32_t record_count{0};

    int compression_id() const { return attributes & batch_attributes::compression_mask; }
    timestamp_type ts_type() const {
        return (attributes & batch_attributes::timestamp_type_bit)
            ? timestamp_type::log_append_time
            : timestamp_type::create_time;
    }
    bool is_transactional() const {
        return attributes & batch_attributes::transactional_bit;
    }
    bool is_control() const { return attributes & batch_attributes::control_bit; }
    bool has_delete_horizon() const {
        return attributes & batch_attributes::delete_horizon_bit;
    }

    bool operator==(const record_batch_header&) const = default;
};

using header_bytes_span = std::span<const uint8_t, batch_layout::header_bytes>;

record_batch_header decode_header(header_bytes_span bytes);
void encode_header(const record_batch_header& header,
                   std::span<uint8_t, batch_layout::header_bytes> out);

// Raft terms are int64; the field is int32. A term that does not fit (or
// is below -1, "none") is a bug and asserts.
int32_t to_partition_leader_epoch(model::term_id term);

// The CRC-32C a batch should carry: its header bytes from attributes on,
// then its records section (stored bytes, compressed or not).
uint32_t compute_crc(header_bytes_span header, const base::iobuf& records);

struct parse_options {
    static constexpr size_t default_max_uncompressed_bytes = size_t{64} << 20;

    // Bound on a compressed batch's records once decompressed.
    size_t max_uncompressed_bytes = default_max_uncompressed_bytes;
    // Parse every record (decompressing if need be), not just the header
    // and CRC: what a broker does on produce. Recovery of a local log,
    // whose batches were verified on the way in, may skip it.
    bool verify_records = true;
    // Kafka's produce-time rules (LogValidator) on top: at least one
    // record, offsets dense from 0 (lastOffsetDelta == count - 1), and no
    // LogAppendTime set by the producer. Without them, what a log may hold
    // after compaction passes too: a batch emptied of records, gaps in its
    // offset deltas. Control batches, producer ids and sequences are the
    // produce handler's to judge, with the batch's fields.
    bool produce_rules = false;
};

struct timestamp_range {
    int64_t min{no_timestamp};
    int64_t max{no_timestamp};
};

// A batch that passed parse_record_batch (or came from the builder): its
// bytes (shared, never copied) and its decoded header.
class record_batch {
public:
    record_batch(record_batch&&) noexcept = default;
    record_batch& operator=(record_batch&&) noexcept = default;

    const record_batch_header& header() const { return _header; }
    // The whole batch, header included.
    const base::iobuf& data() const { return _data; }
    size_t size_bytes() const { return _data.size_bytes(); }

    model::offset base_offset() const { return model::offset(_header.base_offset); }
    model::offset last_offset() const {
        return model::offset(_header.base_offset + _header.last_offset_delta);
    }
    model::term_id leader_epoch() const {
        return model::term_id(_header.partition_leader_epoch);
    }
    compression_type compression() const {
        return static_cast<compression_type>(_header.compression_id());
    }
    int32_t record_count() const { return _header.record_count; }
    // The smallest and largest of the records' own timestamps
    // (baseTimestamp + delta, whatever the timestamp type), when the
    // records were verified and there is at least one. Kafka does not
    // check a producer's maxTimestamp but overwrites it; so may we, with
    // set_max_timestamp(create_time, record_timestamps()->max).
    const std::optional<timestamp_range>& record_timestamps() const {
        return _record_timestamps;
    }

    // The broker assigns offsets and stamps the Raft term. Both fields
    // precede the CRC'd range, so the CRC stays valid and is not
    // recomputed. The header's bytes are replaced by a new fragment (the
    // old ones may be shared); the records stay shared.
    void set_base_offset(model::offset base);
    void set_partition_leader_epoch(model::term_id term);
    // Timestamp type and max timestamp lie inside the CRC'd range: this
    // one recomputes the CRC over the whole batch.
    void set_max_timestamp(timestamp_type type, int64_t max_timestamp);

    record_batch share() const;

private:
    friend class record_batch_builder;
    friend batch_result<record_batch> parse_record_batch(base::iobuf data,
                                                         const parse_options& options);

    record_batch(const record_batch_header& header, base::iobuf data)
      : _header(header)
      , _data(std::move(data)) {}
    // The header's bytes, in a fragment of their own, then `records`.
    static base::iobuf with_header(const record_batch_header& header,
                                   base::iobuf records);
    void rewrite_header();

    record_batch_header _header;
    base::iobuf _data;
    std::optional<timestamp_range> _record_timestamps;
};

// A batch's whole size in bytes, from its first bytes: at least
// log_overhead of them; with the magic's too, a batch of another format
// is refused by name. Fails when they show it cannot be a v2 batch.
batch_result<size_t> peek_batch_size(const base::iobuf& data);

// Exactly one batch: `data` must hold it whole and nothing after it. For
// several batches in a row, or a partial one at the end, see
// batch_walker.
batch_result<record_batch> parse_record_batch(base::iobuf data,
                                              const parse_options& options);
inline batch_result<record_batch> parse_record_batch(base::iobuf data) {
    return parse_record_batch(std::move(data), parse_options{});
}
// Copies the bytes into an iobuf first.
batch_result<record_batch> parse_record_batch(std::span<const uint8_t> data,
                                              const parse_options& options = {});

// The same rewrites on raw bytes (at least a header's worth), in place.
void set_base_offset(std::span<uint8_t> batch, model::offset base);
void set_partition_leader_epoch(std::span<uint8_t> batch, model::term_id term);

} // namespace model
