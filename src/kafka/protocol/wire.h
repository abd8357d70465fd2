#pragma once

#include "base/iobuf.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The Kafka wire's primitive types, for the generated message codecs.
// Everything is big-endian; "compact" forms (flexible versions) carry
// lengths as unsigned varints of length + 1, so 0 means null.

namespace kafka::protocol {

using uuid = std::array<uint8_t, 16>;
std::string to_string(const uuid& id);

// A tagged field this build does not know, kept so it can be re-encoded.
struct unknown_tagged_field {
    uint32_t tag{0};
    std::vector<uint8_t> data;
    bool operator==(const unknown_tagged_field&) const = default;
};
using unknown_tagged_fields = std::vector<unknown_tagged_field>;

// Appends encoded values to an iobuf, or only counts their size when built
// without one.
class writer {
public:
    explicit writer(base::iobuf& out)
      : _out(&out) {}
    writer() = default; // counts only

    void write_int8(int8_t v) { put_be(static_cast<uint8_t>(v), 1); }
    void write_int16(int16_t v) { put_be(static_cast<uint16_t>(v), 2); }
    void write_uint16(uint16_t v) { put_be(v, 2); }
    void write_int32(int32_t v) { put_be(static_cast<uint32_t>(v), 4); }
    void write_uint32(uint32_t v) { put_be(v, 4); }
    void write_int64(int64_t v) { put_be(static_cast<uint64_t>(v), 8); }
    void write_float64(double v);
    void write_bool(bool v) { write_int8(v ? 1 : 0); }
    void write_uuid(const uuid& v) { write_raw(v); }
    void write_uvarint(uint32_t v);
    void write_varint(int32_t v);
    void write_varlong(int64_t v);

    void write_string(std::string_view s, bool compact);
    void write_nullable_string(const std::optional<std::string>& s, bool compact);
    void write_bytes(std::span<const uint8_t> b, bool compact);
    void write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact);
    // Record batches: shared into the output, never copied.
    void write_records(const std::optional<base::iobuf>& r, bool compact);
    void write_array_length(size_t n, bool compact);
    void write_null_length(bool compact);
    void write_raw(std::span<const uint8_t> b);

    size_t written() const { return _written; }

private:
    void put_be(uint64_t v, size_t n);

    base::iobuf* _out{nullptr};
    size_t _written{0};
};

// Reads encoded values from a contiguous buffer, bounds-checked: a read
// past the end, a negative or oversized length, or a malformed varint
// marks the reader failed (with a reason) and yields a zero value, so a
// decoder can read on and check failed() once at the end.
class reader {
public:
    explicit reader(std::span<const uint8_t> in)
      : _in(in) {}
    // A reader over a one-fragment iobuf: record batches it reads share
    // the iobuf's buffer instead of being copied.
    explicit reader(const base::iobuf& backing);

    int8_t read_int8() { return static_cast<int8_t>(get_be(1)); }
    int16_t read_int16() { return static_cast<int16_t>(get_be(2)); }
    uint16_t read_uint16() { return static_cast<uint16_t>(get_be(2)); }
    int32_t read_int32() { return static_cast<int32_t>(get_be(4)); }
    uint32_t read_uint32() { return static_cast<uint32_t>(get_be(4)); }
    int64_t read_int64() { return static_cast<int64_t>(get_be(8)); }
    double read_float64();
    bool read_bool() { return read_int8() != 0; }
    uuid read_uuid();
    uint32_t read_uvarint();
    int32_t read_varint();
    int64_t read_varlong();

    std::string read_string(bool compact);
    std::optional<std::string> read_nullable_string(bool compact);
    std::vector<uint8_t> read_bytes(bool compact);
    std::optional<std::vector<uint8_t>> read_nullable_bytes(bool compact);
    // Shares the batches' bytes when the reader has a backing iobuf,
    // copies them otherwise.
    std::optional<base::iobuf> read_records(bool compact);
    // The element count of an array, -1 for null. A count larger than the
    // bytes left cannot be honest and fails the reader, so a hostile count
    // never makes a decoder reserve memory it cannot fill.
    int32_t read_array_length(bool compact);

    std::span<const uint8_t> read_raw(size_t n);
    reader sub_reader(size_t n) { return reader(read_raw(n)); }

    bool failed() const { return _failed; }
    const std::string& error() const { return _error; }
    void fail(std::string_view why);
    size_t remaining() const { return _in.size() - _pos; }
    size_t position() const { return _pos; }

private:
    uint64_t get_be(size_t n);
    // Length of a string/bytes field; -1 for null; fails on a bad length.
    int64_t read_length(bool compact, bool is_int32);

    std::span<const uint8_t> _in;
    const base::iobuf* _backing{nullptr};
    size_t _pos{0};
    bool _failed{false};
    std::string _error;
};

} // namespace kafka::protocol
