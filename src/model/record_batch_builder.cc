#include "model/record_batch_builder.h"

#include "base/varint.h"
#include "base/vassert.h"
#include "model/big_endian.h"

#include <algorithm>
#include <array>
#include <limits>

namespace model {
namespace {

void put_varint(std::vector<uint8_t>& out, int64_t v) {
    std::array<uint8_t, base::varint::max_bytes64> buf{};
    size_t n = base::varint::encode_unsigned(base::varint::zigzag_encode(v), buf.data());
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
}

int32_t checked_length(size_t n) {
    vassert(n <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
            "{} bytes do not fit a record field", n);
    return static_cast<int32_t>(n);
}

void put_sized(std::vector<uint8_t>& out, std::optional<std::span<const uint8_t>> bytes) {
    if (!bytes) {
        put_varint(out, -1);
        return;
    }
    put_varint(out, checked_length(bytes->size()));
    out.insert(out.end(), bytes->begin(), bytes->end());
}

// One record as the v2 format lays it out: its length, then attributes,
// timestamp and offset deltas, key, value and headers. `scratch` is reused
// between calls.
template<typename Headers>
void encode_record_body(std::vector<uint8_t>& scratch, int8_t attributes,
                        int64_t ts_delta, int64_t offset_delta,
                        std::optional<std::span<const uint8_t>> key,
                        std::optional<std::span<const uint8_t>> value,
                        const Headers& headers, int32_t header_count, base::iobuf& out) {
    auto& body = scratch;
    body.clear();
    body.push_back(static_cast<uint8_t>(attributes));
    put_varint(body, ts_delta);
    put_varint(body, offset_delta);
    put_sized(body, key);
    put_sized(body, value);
    put_varint(body, header_count);
    for (const auto& h : headers) {
        put_sized(body, h.key);
        put_sized(body, h.value);
    }
    std::array<uint8_t, base::varint::max_bytes64> length{};
    size_t n = base::varint::encode_unsigned(
        base::varint::zigzag_encode(checked_length(body.size())), length.data());
    out.append(length.data(), n);
    out.append(body);
}

int16_t with_bit(int16_t attributes, int16_t bit, bool on) {
    return static_cast<int16_t>(on ? (attributes | bit) : (attributes & ~bit));
}

} // namespace

record_batch_builder& record_batch_builder::set_base_offset(model::offset base) {
    _header.base_offset = base();
    return *this;
}

record_batch_builder& record_batch_builder::set_partition_leader_epoch(
    model::term_id term) {
    _header.partition_leader_epoch = to_partition_leader_epoch(term);
    return *this;
}

record_batch_builder& record_batch_builder::set_compression(
    compression_type type, const compress_options& options) {
    _header.attributes =
        static_cast<int16_t>((_header.attributes & ~batch_attributes::compression_mask)
                             | static_cast<int>(type));
    _compress_options = options;
    return *this;
}

record_batch_builder& record_batch_builder::set_producer(int64_t producer_id,
                                                         int16_t producer_epoch,
                                                         int32_t base_sequence) {
    _header.producer_id = producer_id;
    _header.producer_epoch = producer_epoch;
    _header.base_sequence = base_sequence;
    return *this;
}

record_batch_builder& record_batch_builder::set_transactional(bool transactional) {
    _header.attributes =
        with_bit(_header.attributes, batch_attributes::transactional_bit, transactional);
    return *this;
}

record_batch_builder& record_batch_builder::set_control(bool control) {
    _header.attributes =
        with_bit(_header.attributes, batch_attributes::control_bit, control);
    return *this;
}

record_batch_builder& record_batch_builder::set_log_append_time(int64_t now) {
    _header.attributes =
        with_bit(_header.attributes, batch_attributes::timestamp_type_bit, true);
    _log_append_time = true;
    _header.max_timestamp = now;
    return *this;
}

record_batch_builder& record_batch_builder::add_record(const record_data& record) {
    vassert(_count < std::numeric_limits<int32_t>::max(), "batch full");
    if (_count == 0) {
        _header.base_timestamp = record.timestamp;
        _timestamps = {record.timestamp, record.timestamp};
    }
    _timestamps.min = std::min(_timestamps.min, record.timestamp);
    _timestamps.max = std::max(_timestamps.max, record.timestamp);
    // The inverse of add_timestamp_delta: wraps as Java's longs do.
    auto ts_delta = static_cast<int64_t>(static_cast<uint64_t>(record.timestamp)
                                         - static_cast<uint64_t>(_header.base_timestamp));
    encode_record_body(_scratch, 0, ts_delta, _count, record.key, record.value,
                       record.headers, checked_length(record.headers.size()), _records);
    ++_count;
    return *this;
}

record_batch_builder& record_batch_builder::add_control_record(
    control_record_type type, std::optional<std::span<const uint8_t>> value,
    int64_t timestamp) {
    std::array<uint8_t, 4> key{};
    big_endian::write<int16_t>(key.data(), 0); // version
    big_endian::write(key.data() + 2, static_cast<int16_t>(type));
    return add_record(record_data{.key = key, .value = value, .timestamp = timestamp});
}

record_batch record_batch_builder::build() const {
    auto h = _header;
    auto records = compress(static_cast<compression_type>(h.compression_id()), _records,
                            _compress_options);
    h.magic = current_magic;
    h.record_count = _count;
    h.last_offset_delta = _count > 0 ? _count - 1 : 0;
    vassert(h.base_offset >= 0
                && h.base_offset
                    <= std::numeric_limits<int64_t>::max() - h.last_offset_delta,
            "base offset {} with {} records", h.base_offset, _count);
    if (!_log_append_time) {
        h.max_timestamp = _count > 0 ? _timestamps.max : no_timestamp;
    }
    h.batch_length =
        checked_length(batch_layout::min_batch_length + records.size_bytes());
    std::array<uint8_t, batch_layout::header_bytes> bytes{};
    encode_header(h, bytes);
    h.crc = compute_crc(bytes, records);
    record_batch batch(h, record_batch::with_header(h, std::move(records)));
    if (_count > 0) {
        batch._record_timestamps = _timestamps;
    }
    return batch;
}

void record_batch_builder::encode_record(const record_view& record, base::iobuf& out) {
    std::vector<uint8_t> scratch;
    encode_record_body(scratch, record.attributes, record.timestamp_delta,
                       record.offset_delta, record.key, record.value, record.headers,
                       record.headers.size(), out);
}

record_batch record_batch_builder::rebuild(const record_batch_header& original,
                                           const base::iobuf& records, int32_t count) {
    auto h = original;
    auto stored = compress(static_cast<compression_type>(h.compression_id()), records);
    h.record_count = count;
    h.batch_length = checked_length(batch_layout::min_batch_length + stored.size_bytes());
    std::array<uint8_t, batch_layout::header_bytes> bytes{};
    encode_header(h, bytes);
    h.crc = compute_crc(bytes, stored);
    return record_batch(h, record_batch::with_header(h, std::move(stored)));
}

batch_result<record_batch> record_batch_builder::recompress(
    const record_batch& batch, compression_type type, size_t max_uncompressed_bytes) {
    auto reader = record_reader::open(batch, max_uncompressed_bytes);
    if (!reader) {
        return reader.error_value();
    }
    base::iobuf records;
    while (true) {
        auto next = reader->next();
        if (!next) {
            return next.error_value();
        }
        if (*next == nullptr) {
            break;
        }
        encode_record(**next, records);
    }
    auto header = batch.header();
    header.attributes =
        static_cast<int16_t>((header.attributes & ~batch_attributes::compression_mask)
                             | static_cast<int>(type));
    return rebuild(header, records, reader->records_read());
}

std::vector<uint8_t> transaction_marker_value(int32_t coordinator_epoch) {
    std::vector<uint8_t> value(6);
    big_endian::write<int16_t>(value.data(), 0); // version
    big_endian::write(value.data() + 2, coordinator_epoch);
    return value;
}

} // namespace model
