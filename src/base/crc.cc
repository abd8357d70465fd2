#include "base/crc.h"

#include "base/iobuf.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <climits>

namespace base {
namespace {

// ISA-L takes an int length: feed large buffers in chunks.
constexpr size_t max_chunk_bytes = size_t{1} << 30;
static_assert(max_chunk_bytes <= INT_MAX);

} // namespace

uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc) {
    // ISA-L's crc32_iscsi neither pre- nor post-inverts: seeding with the
    // inverted running value and inverting the result gives the standard
    // CRC-32C, and keeps chaining across calls exact.
    uint32_t state = ~crc;
    while (!bytes.empty()) {
        size_t n = std::min(bytes.size(), max_chunk_bytes);
        state = crc32_iscsi(const_cast<unsigned char*>(bytes.data()), static_cast<int>(n),
                            state);
        bytes = bytes.subspan(n);
    }
    return ~state;
}

uint32_t crc32c(const iobuf& buf, uint32_t crc) {
    for (const auto& f : buf.fragments()) {
        crc = crc32c(f.bytes(), crc);
    }
    return crc;
}

uint32_t crc32_ieee(std::span<const uint8_t> bytes, uint32_t crc) {
    // crc32_gzip_refl is zlib's crc32: it inverts on entry and exit itself.
    while (!bytes.empty()) {
        size_t n = std::min(bytes.size(), max_chunk_bytes);
        crc = crc32_gzip_refl(crc, bytes.data(), n);
        bytes = bytes.subspan(n);
    }
    return crc;
}

} // namespace base
