#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

// Fixed-width fields in this machine's byte order, for the small files
// storage keeps beside segments (indexes, partition.meta): they never leave
// the machine that wrote them. Every file that uses them carries a
// checksum, so a reader has checked the size before get_fixed reads.

namespace storage {

template<typename T>
void put_fixed(std::vector<uint8_t>& out, T v) {
    static_assert(std::is_integral_v<T>);
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.insert(out.end(), b, b + sizeof(T));
}

template<typename T>
T get_fixed(const std::vector<uint8_t>& in, size_t& pos) {
    static_assert(std::is_integral_v<T>);
    T v;
    std::memcpy(&v, in.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
}

} // namespace storage
