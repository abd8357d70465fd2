#include "model/record_batch.h"

#include "base/crc.h"
#include "base/vassert.h"
#include "model/big_endian.h"
#include "model/record.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

namespace model {
namespace {

namespace layout = batch_layout;
using header_array = std::array<uint8_t, layout::header_bytes>;

// CRC-32C of data[pos, end), continuing `crc`.
uint32_t crc_from(const base::iobuf& data, size_t pos, uint32_t crc) {
    for (const auto& f : data.fragments()) {
        if (pos >= f.size()) {
            pos -= f.size();
            continue;
        }
        crc = base::crc32c(f.bytes().subspan(pos), crc);
        pos = 0;
    }
    return crc;
}

// What may be judged from the header alone, CRC aside.
batch_result<void> check_fields(const record_batch_header& h,
                                const parse_options& options) {
    if (h.compression_id() > max_compression_id) {
        return base::make_error(batch_errc::unsupported_compression,
                                fmt::format("compression id {}", h.compression_id()));
    }
    if (h.record_count < 0) {
        return base::make_error(batch_errc::invalid_record_count,
                                fmt::format("negative record count {}", h.record_count));
    }
    if (h.last_offset_delta < 0
        || h.base_offset > std::numeric_limits<int64_t>::max() - h.last_offset_delta) {
        return base::make_error(batch_errc::invalid_offsets,
                                fmt::format("offsets {} + {} out of range", h.base_offset,
                                            h.last_offset_delta));
    }
    // Offset deltas strictly increase within [0, lastOffsetDelta].
    if (int64_t{h.record_count} > int64_t{h.last_offset_delta} + 1) {
        return base::make_error(batch_errc::invalid_record_count,
                                fmt::format("{} records cannot have distinct offsets "
                                            "with lastOffsetDelta {}",
                                            h.record_count, h.last_offset_delta));
    }
    if (!options.produce_rules) {
        return base::ok;
    }
    if (h.record_count == 0) {
        return base::make_error(batch_errc::invalid_record_count,
                                "a produced batch must hold at least one record");
    }
    if (int64_t{h.last_offset_delta} + 1 != h.record_count) {
        return base::make_error(
            batch_errc::invalid_offsets,
            fmt::format("lastOffsetDelta {} does not match {} records",
                        h.last_offset_delta, h.record_count));
    }
    if (h.ts_type() == timestamp_type::log_append_time) {
        return base::make_error(batch_errc::invalid_timestamp,
                                "a producer may not set LogAppendTime");
    }
    return base::ok;
}

batch_result<record_batch_header> check_header(const base::iobuf& data,
                                               const parse_options& options) {
    auto size = peek_batch_size(data);
    if (!size) {
        return size.error_value();
    }
    if (*size > data.size_bytes()) {
        return base::make_error(
            batch_errc::truncated,
            fmt::format("batch of {} bytes, {} present", *size, data.size_bytes()));
    }
    if (*size < data.size_bytes()) {
        return base::make_error(batch_errc::trailing_bytes,
                                fmt::format("{} bytes after a batch of {}",
                                            data.size_bytes() - *size, *size));
    }
    header_array bytes{};
    data.copy_out(0, bytes);
    auto header = decode_header(bytes);
    uint32_t crc = crc_from(data, layout::attributes, 0);
    if (crc != header.crc) {
        return base::make_error(
            batch_errc::crc_mismatch,
            fmt::format("CRC {:#010x}, computed {:#010x}", header.crc, crc));
    }
    auto fields = check_fields(header, options);
    if (!fields) {
        return fields.error_value();
    }
    return header;
}

// Reads every record; returns the range of their own timestamps.
batch_result<std::optional<timestamp_range>> verify_records(
    const record_batch& batch, const parse_options& options) {
    auto reader = record_reader::open(batch, options.max_uncompressed_bytes);
    if (!reader) {
        return reader.error_value();
    }
    std::optional<timestamp_range> range;
    while (true) {
        auto next = reader->next();
        if (!next) {
            return next.error_value();
        }
        const record_view* rec = *next;
        if (rec == nullptr) {
            return range;
        }
        int64_t ts =
            add_timestamp_delta(batch.header().base_timestamp, rec->timestamp_delta);
        if (!range) {
            range = timestamp_range{ts, ts};
        }
        range->min = std::min(range->min, ts);
        range->max = std::max(range->max, ts);
    }
}

// The broker's rewrites get values it computed itself: a bad one is a bug.
void check_base_offset(model::offset base, int32_t last_offset_delta) {
    vassert(base() >= 0 && last_offset_delta >= 0
                && base() <= std::numeric_limits<int64_t>::max() - last_offset_delta,
            "base offset {} with lastOffsetDelta {}", base, last_offset_delta);
}

} // namespace

record_batch_header decode_header(header_bytes_span b) {
    using big_endian::read;
    record_batch_header h;
    h.base_offset = read<int64_t>(&b[layout::base_offset]);
    h.batch_length = read<int32_t>(&b[layout::batch_length]);
    h.partition_leader_epoch = read<int32_t>(&b[layout::partition_leader_epoch]);
    h.magic = read<int8_t>(&b[layout::magic]);
    h.crc = read<uint32_t>(&b[layout::crc]);
    h.attributes = read<int16_t>(&b[layout::attributes]);
    h.last_offset_delta = read<int32_t>(&b[layout::last_offset_delta]);
    h.base_timestamp = read<int64_t>(&b[layout::base_timestamp]);
    h.max_timestamp = read<int64_t>(&b[layout::max_timestamp]);
    h.producer_id = read<int64_t>(&b[layout::producer_id]);
    h.producer_epoch = read<int16_t>(&b[layout::producer_epoch]);
    h.base_sequence = read<int32_t>(&b[layout::base_sequence]);
    h.record_count = read<int32_t>(&b[layout::record_count]);
    return h;
}

void encode_header(const record_batch_header& h,
                   std::span<uint8_t, batch_layout::header_bytes> b) {
    using big_endian::write;
    write(&b[layout::base_offset], h.base_offset);
    write(&b[layout::batch_length], h.batch_length);
    write(&b[layout::partition_leader_epoch], h.partition_leader_epoch);
    write(&b[layout::magic], h.magic);
    write(&b[layout::crc], h.crc);
    write(&b[layout::attributes], h.attributes);
    write(&b[layout::last_offset_delta], h.last_offset_delta);
    write(&b[layout::base_timestamp], h.base_timestamp);
    write(&b[layout::max_timestamp], h.max_timestamp);
    write(&b[layout::producer_id], h.producer_id);
    write(&b[layout::producer_epoch], h.producer_epoch);
    write(&b[layout::base_sequence], h.base_sequence);
    write(&b[layout::record_count], h.record_count);
}

int32_t to_partition_leader_epoch(model::term_id term) {
    vassert(term() >= no_partition_leader_epoch
                && term() <= std::numeric_limits<int32_t>::max(),
            "term {} does not fit a partition leader epoch", term);
    return static_cast<int32_t>(term());
}

uint32_t compute_crc(header_bytes_span header, const base::iobuf& records) {
    return base::crc32c(records, base::crc32c(header.subspan(layout::attributes)));
}

batch_result<size_t> peek_batch_size(const base::iobuf& data) {
    if (data.size_bytes() < layout::log_overhead) {
        return base::make_error(
            batch_errc::truncated,
            fmt::format("{} bytes, less than a batch's size field", data.size_bytes()));
    }
    std::array<uint8_t, layout::magic + 1> prefix{};
    size_t n = std::min(data.size_bytes(), prefix.size());
    data.copy_out(0, {prefix.data(), n});
    if (n > layout::magic) {
        auto magic = static_cast<int8_t>(prefix[layout::magic]);
        if (magic == 0 || magic == 1) {
            return base::make_error(batch_errc::unsupported_magic,
                                    fmt::format("message format v{} is not supported; "
                                                "only record batches (magic 2) are",
                                                magic));
        }
        if (magic != current_magic) {
            return base::make_error(batch_errc::invalid_magic,
                                    fmt::format("magic {}", magic));
        }
    }
    auto length = big_endian::read<int32_t>(&prefix[layout::batch_length]);
    if (length < layout::min_batch_length) {
        return base::make_error(batch_errc::bad_length,
                                fmt::format("batchLength {} is less than a header's {}",
                                            length, layout::min_batch_length));
    }
    return layout::log_overhead + static_cast<size_t>(length);
}

batch_result<record_batch> parse_record_batch(base::iobuf data,
                                              const parse_options& options) {
    auto header = check_header(data, options);
    if (!header) {
        return header.error_value();
    }
    record_batch batch(*header, std::move(data));
    if (options.verify_records) {
        auto range = verify_records(batch, options);
        if (!range) {
            return range.error_value();
        }
        batch._record_timestamps = *range;
    }
    return batch;
}

batch_result<record_batch> parse_record_batch(std::span<const uint8_t> data,
                                              const parse_options& options) {
    return parse_record_batch(base::iobuf::copy_of(data), options);
}

base::iobuf record_batch::with_header(const record_batch_header& header,
                                      base::iobuf records) {
    std::shared_ptr<uint8_t[]> buf(new uint8_t[layout::header_bytes]);
    encode_header(
        header,
        std::span<uint8_t, layout::header_bytes>(buf.get(), layout::header_bytes));
    auto data = base::iobuf::adopt(std::move(buf), layout::header_bytes);
    data.append(std::move(records));
    return data;
}

void record_batch::rewrite_header() {
    _data = with_header(
        _header,
        _data.share(layout::header_bytes, _data.size_bytes() - layout::header_bytes));
}

void record_batch::set_base_offset(model::offset base) {
    check_base_offset(base, _header.last_offset_delta);
    _header.base_offset = base();
    rewrite_header();
}

void record_batch::set_partition_leader_epoch(model::term_id term) {
    _header.partition_leader_epoch = to_partition_leader_epoch(term);
    rewrite_header();
}

void record_batch::set_max_timestamp(timestamp_type type, int64_t max_timestamp) {
    auto bit = batch_attributes::timestamp_type_bit;
    int attributes = _header.attributes & ~bit;
    if (type == timestamp_type::log_append_time) {
        attributes |= bit;
    }
    _header.attributes = static_cast<int16_t>(attributes);
    _header.max_timestamp = max_timestamp;
    header_array bytes{};
    encode_header(_header, bytes);
    _header.crc =
        crc_from(_data, layout::header_bytes,
                 base::crc32c(header_bytes_span(bytes).subspan(layout::attributes)));
    rewrite_header();
}

record_batch record_batch::share() const {
    record_batch copy(_header, _data.share());
    copy._record_timestamps = _record_timestamps;
    return copy;
}

void set_base_offset(std::span<uint8_t> batch, model::offset base) {
    vassert(batch.size() >= layout::header_bytes, "{} bytes hold no batch header",
            batch.size());
    check_base_offset(base, big_endian::read<int32_t>(&batch[layout::last_offset_delta]));
    big_endian::write(&batch[layout::base_offset], base());
}

void set_partition_leader_epoch(std::span<uint8_t> batch, model::term_id term) {
    vassert(batch.size() >= layout::header_bytes, "{} bytes hold no batch header",
            batch.size());
    big_endian::write(&batch[layout::partition_leader_epoch],
                      to_partition_leader_epoch(term));
}

} // namespace model
