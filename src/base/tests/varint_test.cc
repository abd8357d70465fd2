#include "base/varint.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

using namespace base::varint;

TEST(varint, round_trips_boundaries_of_every_length) {
    std::vector<uint64_t> values = {0,
                                    1,
                                    127,
                                    128,
                                    16383,
                                    16384,
                                    (1ULL << 21) - 1,
                                    1ULL << 21,
                                    std::numeric_limits<uint32_t>::max(),
                                    std::numeric_limits<uint64_t>::max()};
    for (uint64_t v : values) {
        std::array<uint8_t, max_bytes64> buf{};
        size_t n = encode_unsigned(v, buf.data());
        EXPECT_EQ(n, encoded_size_unsigned(v));
        auto d = decode_unsigned({buf.data(), n}, max_bytes64);
        EXPECT_EQ(d.bytes, n);
        EXPECT_EQ(d.value, v);
    }
}

TEST(varint, known_encodings_match_the_protocol) {
    std::array<uint8_t, max_bytes64> buf{};
    ASSERT_EQ(encode_unsigned(300, buf.data()), 2u);
    EXPECT_EQ(buf[0], 0xAC);
    EXPECT_EQ(buf[1], 0x02);
}

TEST(varint, truncated_input_is_rejected) {
    const uint8_t truncated[] = {0x80, 0x80};
    EXPECT_EQ(decode_unsigned(truncated, max_bytes32).bytes, 0u);
    EXPECT_EQ(decode_unsigned({}, max_bytes32).bytes, 0u);
}

TEST(varint, too_long_for_32_bits_is_rejected) {
    const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    EXPECT_EQ(decode_unsigned(six, max_bytes32).bytes, 0u);
    // Five bytes whose last carries more than the 4 bits left: overflow.
    const uint8_t overflow[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
    EXPECT_EQ(decode_unsigned(overflow, max_bytes32).bytes, 0u);
    const uint8_t max32[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    auto d = decode_unsigned(max32, max_bytes32);
    EXPECT_EQ(d.bytes, 5u);
    EXPECT_EQ(d.value, 0xFFFFFFFFu);
}

TEST(varint, too_long_for_64_bits_is_rejected) {
    std::array<uint8_t, 10> overflow;
    overflow.fill(0xFF);
    overflow[9] = 0x02;
    EXPECT_EQ(decode_unsigned(overflow, max_bytes64).bytes, 0u);
    overflow[9] = 0x01;
    EXPECT_EQ(decode_unsigned(overflow, max_bytes64).value,
              std::numeric_limits<uint64_t>::max());
}

TEST(zigzag, maps_small_magnitudes_to_small_codes) {
    EXPECT_EQ(zigzag_encode(0), 0u);
    EXPECT_EQ(zigzag_encode(-1), 1u);
    EXPECT_EQ(zigzag_encode(1), 2u);
    EXPECT_EQ(zigzag_encode(-2), 3u);
    for (int64_t v :
         {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
          std::numeric_limits<int64_t>::max()}) {
        EXPECT_EQ(zigzag_decode(zigzag_encode(v)), v);
    }
}

} // namespace
