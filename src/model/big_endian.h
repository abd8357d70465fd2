#pragma once

#include <cstddef>
#include <cstdint>

// Fixed-width big-endian fields, as the record batch header and xerial's
// snappy framing store them. Callers check bounds; these only convert.

namespace model::big_endian {

template<typename T>
T read(const uint8_t* p) {
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
        v = (v << 8) | p[i];
    }
    return static_cast<T>(v);
}

template<typename T>
void write(uint8_t* p, T value) {
    auto v = static_cast<uint64_t>(value);
    for (size_t i = 0; i < sizeof(T); ++i) {
        p[i] = static_cast<uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
    }
}

} // namespace model::big_endian
