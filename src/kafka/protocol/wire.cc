#include "kafka/protocol/wire.h"

#include "base/varint.h"
#include "base/vassert.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace kafka::protocol {

std::string to_string(const uuid& id) {
    std::string out;
    for (size_t i = 0; i < id.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += fmt::format("{:02x}", id[i]);
    }
    return out;
}

// ---- writer ------------------------------------------------------------

void writer::put_be(uint64_t v, size_t n) {
    uint8_t buf[8];
    for (size_t i = 0; i < n; ++i) {
        buf[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
    }
    write_raw({buf, n});
}

void writer::write_raw(std::span<const uint8_t> b) {
    if (_out) {
        _out->append(b);
    }
    _written += b.size();
}

void writer::write_float64(double v) {
    write_int64(std::bit_cast<int64_t>(v));
}

void writer::write_uvarint(uint32_t v) {
    uint8_t buf[base::varint::max_bytes64];
    write_raw({buf, base::varint::encode_unsigned(v, buf)});
}

void writer::write_varint(int32_t v) {
    uint8_t buf[base::varint::max_bytes64];
    write_raw({buf, base::varint::encode_unsigned(base::varint::zigzag_encode(v), buf)});
}

void writer::write_varlong(int64_t v) {
    uint8_t buf[base::varint::max_bytes64];
    write_raw({buf, base::varint::encode_unsigned(base::varint::zigzag_encode(v), buf)});
}

void writer::write_string(std::string_view s, bool compact) {
    if (compact) {
        write_uvarint(static_cast<uint32_t>(s.size() + 1));
    } else {
        write_int16(static_cast<int16_t>(s.size()));
    }
    write_raw({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

void writer::write_nullable_string(const std::optional<std::string>& s, bool compact) {
    if (!s) {
        compact ? write_uvarint(0) : write_int16(-1);
        return;
    }
    write_string(*s, compact);
}

void writer::write_bytes(std::span<const uint8_t> b, bool compact) {
    if (compact) {
        write_uvarint(static_cast<uint32_t>(b.size() + 1));
    } else {
        write_int32(static_cast<int32_t>(b.size()));
    }
    write_raw(b);
}

void writer::write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b,
                                  bool compact) {
    if (!b) {
        write_null_length(compact);
        return;
    }
    write_bytes(*b, compact);
}

void writer::write_records(const std::optional<base::iobuf>& r, bool compact) {
    if (!r) {
        write_null_length(compact);
        return;
    }
    if (compact) {
        write_uvarint(static_cast<uint32_t>(r->size_bytes() + 1));
    } else {
        write_int32(static_cast<int32_t>(r->size_bytes()));
    }
    if (_out) {
        _out->append(r->share());
    }
    _written += r->size_bytes();
}

void writer::write_array_length(size_t n, bool compact) {
    if (compact) {
        write_uvarint(static_cast<uint32_t>(n + 1));
    } else {
        write_int32(static_cast<int32_t>(n));
    }
}

void writer::write_null_length(bool compact) {
    compact ? write_uvarint(0) : write_int32(-1);
}

// ---- reader ------------------------------------------------------------

void reader::fail(std::string_view why) {
    if (!_failed) {
        _failed = true;
        _error = fmt::format("{} at byte {}", why, _pos);
    }
    _pos = _in.size(); // nothing more is read after a failure
}

uint64_t reader::get_be(size_t n) {
    if (remaining() < n) {
        fail("truncated input");
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        v = (v << 8) | _in[_pos + i];
    }
    _pos += n;
    return v;
}

double reader::read_float64() {
    return std::bit_cast<double>(read_int64());
}

uuid reader::read_uuid() {
    uuid id{};
    auto raw = read_raw(id.size());
    if (raw.size() == id.size()) {
        std::memcpy(id.data(), raw.data(), id.size());
    }
    return id;
}

uint32_t reader::read_uvarint() {
    auto d = base::varint::decode_unsigned(_in.subspan(_pos), base::varint::max_bytes32);
    if (d.bytes == 0) {
        fail("malformed varint");
        return 0;
    }
    _pos += d.bytes;
    return static_cast<uint32_t>(d.value);
}

int32_t reader::read_varint() {
    return static_cast<int32_t>(base::varint::zigzag_decode(read_uvarint()));
}

int64_t reader::read_varlong() {
    auto d = base::varint::decode_unsigned(_in.subspan(_pos), base::varint::max_bytes64);
    if (d.bytes == 0) {
        fail("malformed varlong");
        return 0;
    }
    _pos += d.bytes;
    return base::varint::zigzag_decode(d.value);
}

int64_t reader::read_length(bool compact, bool is_int32) {
    int64_t len = 0;
    if (compact) {
        len = static_cast<int64_t>(read_uvarint()) - 1;
    } else {
        len = is_int32 ? read_int32() : read_int16();
    }
    if (_failed) {
        return 0;
    }
    if (len < -1) {
        fail("negative length");
        return 0;
    }
    if (len > static_cast<int64_t>(remaining())) {
        fail("length beyond the end of the input");
        return 0;
    }
    return len;
}

std::span<const uint8_t> reader::read_raw(size_t n) {
    if (remaining() < n) {
        fail("truncated input");
        return {};
    }
    auto out = _in.subspan(_pos, n);
    _pos += n;
    return out;
}

std::optional<std::string> reader::read_nullable_string(bool compact) {
    int64_t len = read_length(compact, false);
    if (len < 0) {
        return std::nullopt;
    }
    auto raw = read_raw(static_cast<size_t>(len));
    return std::string(reinterpret_cast<const char*>(raw.data()), raw.size());
}

std::string reader::read_string(bool compact) {
    auto s = read_nullable_string(compact);
    if (!s) {
        fail("null in a non-nullable string");
        return {};
    }
    return std::move(*s);
}

std::optional<std::vector<uint8_t>> reader::read_nullable_bytes(bool compact) {
    int64_t len = read_length(compact, true);
    if (len < 0) {
        return std::nullopt;
    }
    auto raw = read_raw(static_cast<size_t>(len));
    return std::vector<uint8_t>(raw.begin(), raw.end());
}

std::vector<uint8_t> reader::read_bytes(bool compact) {
    auto b = read_nullable_bytes(compact);
    if (!b) {
        fail("null in non-nullable bytes");
        return {};
    }
    return std::move(*b);
}

reader::reader(const base::iobuf& backing)
  : _backing(&backing) {
    vassert(backing.fragments().size() <= 1,
            "a reader's backing iobuf must be contiguous");
    if (!backing.empty()) {
        _in = backing.fragments().front().bytes();
    }
}

std::optional<base::iobuf> reader::read_records(bool compact) {
    int64_t len = read_length(compact, true);
    if (len < 0) {
        return std::nullopt;
    }
    size_t start = _pos;
    auto raw = read_raw(static_cast<size_t>(len));
    if (_backing && raw.size() == static_cast<size_t>(len)) {
        return _backing->share(start, raw.size());
    }
    return base::iobuf::copy_of(raw);
}

int32_t reader::read_array_length(bool compact) {
    int64_t len = read_length(compact, true);
    return static_cast<int32_t>(len);
}

} // namespace kafka::protocol
