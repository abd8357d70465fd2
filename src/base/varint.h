#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

// Unsigned LEB128 varints and zigzag-encoded signed varints, as the Kafka
// protocol (compact lengths, tagged fields) and record format use them.

namespace base::varint {

inline constexpr size_t max_bytes32 = 5;
inline constexpr size_t max_bytes64 = 10;

constexpr uint64_t zigzag_encode(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t zigzag_decode(uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Writes v into out (at least max_bytes64 long); returns bytes written.
inline size_t encode_unsigned(uint64_t v, uint8_t* out) {
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = static_cast<uint8_t>(v | 0x80);
        v >>= 7;
    }
    out[n++] = static_cast<uint8_t>(v);
    return n;
}

inline size_t encoded_size_unsigned(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

struct decoded {
    uint64_t value;
    size_t bytes; // 0 when the input was truncated or too long
};

// Reads an unsigned varint of at most max_len bytes (5 for 32-bit fields,
// 10 for 64-bit). A value that does not end within max_len, or within the
// input, yields bytes == 0.
inline decoded decode_unsigned(std::span<const uint8_t> in, size_t max_len) {
    uint64_t value = 0;
    size_t limit = in.size() < max_len ? in.size() : max_len;
    for (size_t i = 0; i < limit; ++i) {
        uint64_t b = in[i];
        value |= (b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            // The last byte of a 32-bit varint carries only 4 bits, of a
            // 64-bit one only 1: anything more overflows the type.
            if (i == max_len - 1) {
                unsigned used_bits = 7 * static_cast<unsigned>(i);
                unsigned width = max_len == max_bytes32 ? 32 : 64;
                if ((b >> (width - used_bits)) != 0) {
                    return {0, 0};
                }
            }
            return {value, i + 1};
        }
    }
    return {0, 0};
}

} // namespace base::varint
