#include "rpc/frame.h"

#include "base/crc.h"

#include <fmt/format.h>

namespace rpc {
namespace {

template<typename T>
void put(uint8_t*& p, T v) {
    for (int i = static_cast<int>(sizeof(T)) - 1; i >= 0; --i) {
        p[i] = static_cast<uint8_t>(v & 0xFFU);
        if constexpr (sizeof(T) > 1) {
            v = static_cast<T>(v >> 8U);
        }
    }
    p += sizeof(T);
}

template<typename T>
T get(const uint8_t*& p) {
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
        if constexpr (sizeof(T) > 1) {
            v = static_cast<T>(v << 8U);
        }
        v = static_cast<T>(v | p[i]);
    }
    p += sizeof(T);
    return v;
}

} // namespace

std::string_view to_string(errc e) {
    switch (e) {
        case errc::success:
            return "success";
        case errc::timeout:
            return "timed out";
        case errc::disconnected:
            return "disconnected";
        case errc::method_not_found:
            return "no such method";
        case errc::handler_error:
            return "the handler failed";
        case errc::overloaded:
            return "too many calls in flight";
    }
    return "unknown";
}

std::array<uint8_t, header_bytes> encode_header(const header& h) {
    std::array<uint8_t, header_bytes> out{};
    uint8_t* p = out.data();
    put<uint32_t>(p, frame_magic);
    put<uint8_t>(p, frame_version);
    put<uint8_t>(p, h.flags);
    put<uint16_t>(p, h.method);
    put<uint64_t>(p, h.correlation);
    put<uint32_t>(p, h.payload_bytes);
    put<uint32_t>(p, h.payload_crc);
    return out;
}

decoded_header decode_header(const std::array<uint8_t, header_bytes>& bytes,
                             uint32_t max_payload_bytes) {
    const uint8_t* p = bytes.data();
    auto magic = get<uint32_t>(p);
    if (magic != frame_magic) {
        return {std::nullopt, fmt::format("bad magic {:#010x}", magic)};
    }
    auto version = get<uint8_t>(p);
    if (version != frame_version) {
        return {std::nullopt, fmt::format("unknown frame version {}", version)};
    }
    header h;
    h.flags = get<uint8_t>(p);
    h.method = get<uint16_t>(p);
    h.correlation = get<uint64_t>(p);
    h.payload_bytes = get<uint32_t>(p);
    h.payload_crc = get<uint32_t>(p);
    if (h.payload_bytes > max_payload_bytes) {
        return {std::nullopt,
                fmt::format("payload of {} bytes over the limit of {}", h.payload_bytes,
                            max_payload_bytes)};
    }
    return {h, {}};
}

base::iobuf make_frame(header h, base::iobuf payload) {
    h.payload_bytes = static_cast<uint32_t>(payload.size_bytes());
    h.payload_crc = base::crc32c(payload);
    auto head = encode_header(h);
    base::iobuf out;
    out.append(head.data(), head.size());
    out.append(std::move(payload));
    return out;
}

} // namespace rpc
