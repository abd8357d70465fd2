#include "model/record.h"

#include "base/varint.h"
#include "base/vassert.h"
#include "model/big_endian.h"
#include "model/compression.h"

#include <fmt/format.h>

namespace model {
namespace {

// attributes, timestampDelta, offsetDelta, key length, value length and
// header count take at least a byte each; the length before them another.
constexpr int32_t min_body_bytes = 6;
constexpr size_t min_record_bytes = 1 + min_body_bytes;
// An EndTransactionMarker's value: version int16, coordinatorEpoch int32.
constexpr size_t txn_marker_value_bytes = 6;

// Bounds-checked reads from one record's body; a failed read reads nothing.
class span_reader {
public:
    explicit span_reader(std::span<const uint8_t> in)
      : _in(in) {}

    std::span<const uint8_t> rest() const { return _in; }

    bool read_int8(int8_t& v) {
        if (_in.empty()) {
            return false;
        }
        v = static_cast<int8_t>(_in[0]);
        _in = _in.subspan(1);
        return true;
    }
    bool read_varint(int32_t& v) {
        uint64_t u = 0;
        if (!read_unsigned(base::varint::max_bytes32, u)) {
            return false;
        }
        v = static_cast<int32_t>(base::varint::zigzag_decode(u));
        return true;
    }
    bool read_varlong(int64_t& v) {
        uint64_t u = 0;
        if (!read_unsigned(base::varint::max_bytes64, u)) {
            return false;
        }
        v = base::varint::zigzag_decode(u);
        return true;
    }
    // A varint length, then that many bytes; length -1 is null where
    // `nullable`.
    bool read_sized(std::optional<std::span<const uint8_t>>& out, bool nullable) {
        int32_t len = 0;
        if (!read_varint(len)) {
            return false;
        }
        if (len == -1 && nullable) {
            out = std::nullopt;
            return true;
        }
        if (len < 0 || static_cast<size_t>(len) > _in.size()) {
            return false;
        }
        out = _in.first(static_cast<size_t>(len));
        _in = _in.subspan(static_cast<size_t>(len));
        return true;
    }

private:
    bool read_unsigned(size_t max_len, uint64_t& v) {
        auto d = base::varint::decode_unsigned(_in, max_len);
        if (d.bytes == 0) {
            return false;
        }
        v = d.value;
        _in = _in.subspan(d.bytes);
        return true;
    }

    std::span<const uint8_t> _in;
};

// One header: a key (never null), then a nullable value.
bool read_header(span_reader& r, record_header_view& out) {
    std::optional<std::span<const uint8_t>> key;
    if (!r.read_sized(key, false)) {
        return false;
    }
    out.key = *key;
    return r.read_sized(out.value, true);
}

} // namespace

record_headers::iterator::iterator(std::span<const uint8_t> encoded, int32_t left)
  : _rest(encoded)
  , _left(left) {
    if (_left > 0) {
        decode();
    }
}

record_headers::iterator& record_headers::iterator::operator++() {
    --_left;
    if (_left > 0) {
        decode();
    }
    return *this;
}

void record_headers::iterator::decode() {
    span_reader r(_rest);
    vassert(read_header(r, _current), "record headers were checked when read");
    _rest = r.rest();
}

std::optional<control_record_key> parse_control_key(
    const std::optional<std::span<const uint8_t>>& key) {
    if (!key || key->size() < 4) {
        return std::nullopt;
    }
    auto version = big_endian::read<int16_t>(key->data());
    if (version < 0) {
        return std::nullopt;
    }
    return control_record_key{version, big_endian::read<int16_t>(key->data() + 2)};
}

std::optional<transaction_marker> read_transaction_marker(const record_batch& batch) {
    if (!batch.header().is_control()) {
        return std::nullopt;
    }
    auto reader =
        record_reader::open(batch, parse_options::default_max_uncompressed_bytes);
    if (!reader) {
        return std::nullopt;
    }
    auto rec = reader->next();
    if (!rec || *rec == nullptr) {
        return std::nullopt;
    }
    auto key = parse_control_key((*rec)->key);
    bool commit = key && key->type == static_cast<int16_t>(control_record_type::commit);
    bool abort = key && key->type == static_cast<int16_t>(control_record_type::abort);
    const auto& value = (*rec)->value;
    if (!(commit || abort) || !value || value->size() < txn_marker_value_bytes) {
        return std::nullopt;
    }
    return transaction_marker{commit, big_endian::read<int32_t>(value->data() + 2)};
}

record_reader::record_reader(const record_batch_header& header, base::iobuf records)
  : _header(header)
  , _parser(std::move(records)) {}

batch_result<record_reader> record_reader::open(const record_batch& batch,
                                                size_t max_uncompressed_bytes) {
    const auto& data = batch.data();
    auto records = data.share(batch_layout::header_bytes,
                              data.size_bytes() - batch_layout::header_bytes);
    if (batch.compression() != compression_type::none) {
        auto plain = decompress(batch.compression(), records, max_uncompressed_bytes);
        if (!plain) {
            return plain.error_value();
        }
        records = std::move(*plain);
    }
    // A count the bytes cannot hold is a lie, told before any record.
    if (static_cast<size_t>(batch.record_count())
        > records.size_bytes() / min_record_bytes) {
        return base::make_error(batch_errc::invalid_record_count,
                                fmt::format("{} records cannot fit in {} bytes",
                                            batch.record_count(), records.size_bytes()));
    }
    return record_reader(batch.header(), std::move(records));
}

batch_result<const record_view*> record_reader::fail(batch_errc code,
                                                     std::string message) {
    _failure = base::make_error(code, std::move(message));
    return *_failure;
}

batch_result<const record_view*> record_reader::next() {
    if (_failure) {
        return *_failure;
    }
    if (_read == _header.record_count) {
        if (_parser.remaining() != 0) {
            return fail(batch_errc::trailing_bytes,
                        fmt::format("{} bytes after the last of {} records",
                                    _parser.remaining(), _read));
        }
        return static_cast<const record_view*>(nullptr);
    }
    if (_parser.remaining() == 0) {
        return fail(batch_errc::invalid_record_count,
                    fmt::format("the batch says {} records but holds {}",
                                _header.record_count, _read));
    }
    auto read = read_record();
    if (!read) {
        return fail(read.code(), read.message());
    }
    auto delta = _current.offset_delta;
    if (delta <= _last_delta || delta > _header.last_offset_delta) {
        return fail(batch_errc::invalid_offsets,
                    fmt::format("record {}: offset delta {} after {}, lastOffsetDelta {}",
                                _read, delta, _last_delta, _header.last_offset_delta));
    }
    _last_delta = delta;
    // No overflow: the header's offset range was checked.
    _current.offset = model::offset(_header.base_offset + delta);
    _current.timestamp = _header.ts_type() == timestamp_type::log_append_time
        ? _header.max_timestamp
        : add_timestamp_delta(_header.base_timestamp, _current.timestamp_delta);
    if (_header.is_control()) {
        auto control = check_control_record();
        if (!control) {
            return fail(control.code(), control.message());
        }
    }
    ++_read;
    return &_current;
}

batch_result<void> record_reader::read_record() {
    auto bad = [this](std::string_view why) {
        return base::make_error(batch_errc::invalid_record,
                                fmt::format("record {}: {}", _read, why));
    };
    auto length = _parser.read_varint();
    if (!length || *length < min_body_bytes) {
        return bad("malformed length");
    }
    auto body = _parser.read_bytes(static_cast<size_t>(*length), _scratch);
    if (!body) {
        return bad(fmt::format("{} bytes run past the records", *length));
    }
    span_reader r(*body);
    auto& rec = _current;
    int32_t header_count = 0;
    if (!r.read_int8(rec.attributes) || !r.read_varlong(rec.timestamp_delta)
        || !r.read_varint(rec.offset_delta) || !r.read_sized(rec.key, true)
        || !r.read_sized(rec.value, true) || !r.read_varint(header_count)
        || header_count < 0) {
        return bad("malformed fields");
    }
    // Each header takes two bytes at least, so a lying count stops early.
    auto headers = r.rest();
    for (int32_t i = 0; i < header_count; ++i) {
        record_header_view h;
        if (!read_header(r, h)) {
            return bad(fmt::format("malformed header {} of {}", i, header_count));
        }
    }
    if (!r.rest().empty()) {
        return bad(fmt::format("{} bytes after its fields", r.rest().size()));
    }
    rec.headers = record_headers(headers, header_count);
    return base::ok;
}

batch_result<void> record_reader::check_control_record() const {
    auto key = parse_control_key(_current.key);
    if (!key) {
        return base::make_error(batch_errc::invalid_control_record,
                                fmt::format("record {}: malformed control key", _read));
    }
    bool marker = key->type == static_cast<int16_t>(control_record_type::abort)
        || key->type == static_cast<int16_t>(control_record_type::commit);
    if (!marker) {
        return base::ok;
    }
    const auto& value = _current.value;
    if (!value || value->size() < txn_marker_value_bytes
        || big_endian::read<int16_t>(value->data()) < 0) {
        return base::make_error(
            batch_errc::invalid_control_record,
            fmt::format("record {}: malformed transaction marker", _read));
    }
    return base::ok;
}

} // namespace model
