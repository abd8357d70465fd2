#pragma once

#include "base/iobuf.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The internal RPC's frame: a fixed header, then the payload.
//
//   magic u32 ("ATRP") | version u8 | flags u8 | method u16 |
//   correlation u64 | payload size u32 | payload crc32c u32 | payload
//
// Big-endian. A response carries its request's method and correlation id;
// an error response carries a status (errc) as its payload.

namespace rpc {

inline constexpr uint32_t frame_magic = 0x41545250; // "ATRP"
inline constexpr uint8_t frame_version = 1;
inline constexpr size_t header_bytes = 24;

enum class errc : int16_t {
    success = 0,
    // The call found no answer in time (the peer may still act on it).
    timeout,
    // The connection failed or closed before the answer came.
    disconnected,
    // The peer serves no such method.
    method_not_found,
    // The peer's handler failed.
    handler_error,
    // The caller asked for more calls at once than the client allows.
    overloaded,
};
std::string_view to_string(errc e);

namespace flags {
inline constexpr uint8_t response = 0x01;
inline constexpr uint8_t error = 0x02;
} // namespace flags

struct header {
    uint8_t flags{0};
    uint16_t method{0};
    uint64_t correlation{0};
    uint32_t payload_bytes{0};
    uint32_t payload_crc{0};
};

std::array<uint8_t, header_bytes> encode_header(const header& h);

// The header, or why the bytes are not one of ours (bad magic, an unknown
// version, a payload over `max_payload_bytes`).
struct decoded_header {
    std::optional<header> value;
    std::string error;
};
decoded_header decode_header(const std::array<uint8_t, header_bytes>& bytes,
                             uint32_t max_payload_bytes);

// A whole frame: the header (size and crc filled in) and the payload.
base::iobuf make_frame(header h, base::iobuf payload);

} // namespace rpc
