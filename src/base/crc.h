#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace base {

class iobuf;

// CRC-32C (Castagnoli), as Kafka's record batch v2 uses it, hardware
// accelerated. Chainable: crc32c(b, crc32c(a)) == crc32c(a + b).
uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc = 0);
uint32_t crc32c(const iobuf& buf, uint32_t crc = 0);

// CRC-32 (IEEE 802.3, as zlib), for the legacy message formats' checks.
uint32_t crc32_ieee(std::span<const uint8_t> bytes, uint32_t crc = 0);

} // namespace base
