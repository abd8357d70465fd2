#pragma once

#include "base/crc.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
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

// Checks a file's CRC-32C trailer (over everything before it) and that at
// least `min_body` bytes precede it: why the bytes are unusable, or nullopt.
inline std::optional<std::string_view> crc_trailer_problem(const std::vector<uint8_t>& in,
                                                           size_t min_body) {
    if (in.size() < min_body + 4) {
        return "too short";
    }
    size_t body = in.size() - 4;
    size_t pos = body;
    if (get_fixed<uint32_t>(in, pos) != base::crc32c(std::span(in.data(), body))) {
        return "checksum mismatch";
    }
    return std::nullopt;
}

} // namespace storage
