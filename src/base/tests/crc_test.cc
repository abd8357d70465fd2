#include "base/crc.h"
#include "base/iobuf.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(crc32c, check_value_of_123456789_is_standard) {
    EXPECT_EQ(base::crc32c(as_bytes("123456789")), 0xE3069283u);
}

TEST(crc32c, empty_input_is_zero) {
    EXPECT_EQ(base::crc32c(std::span<const uint8_t>{}), 0u);
}

TEST(crc32c, chaining_across_chunks_equals_one_pass) {
    std::vector<uint8_t> data(100'000);
    std::mt19937 rng(7);
    for (auto& b : data) {
        b = static_cast<uint8_t>(rng());
    }
    uint32_t whole = base::crc32c(data);
    for (size_t cut :
         {size_t{0}, size_t{1}, size_t{13}, size_t{4096}, size_t{65'537}, data.size()}) {
        std::span<const uint8_t> all(data);
        uint32_t chained = base::crc32c(all.subspan(cut), base::crc32c(all.first(cut)));
        EXPECT_EQ(chained, whole) << "cut at " << cut;
    }
}

TEST(crc32c, iobuf_over_many_fragments_equals_contiguous) {
    std::string text(10'000, 'x');
    for (size_t i = 0; i < text.size(); ++i) {
        text[i] = static_cast<char>('a' + i % 26);
    }
    base::iobuf buf;
    for (size_t i = 0; i < text.size(); i += 333) {
        base::iobuf piece = base::iobuf::copy_of(std::string_view(text).substr(i, 333));
        buf.append(std::move(piece));
    }
    ASSERT_GT(buf.fragments().size(), 10u);
    EXPECT_EQ(base::crc32c(buf), base::crc32c(as_bytes(text)));
}

TEST(crc32c, differs_when_one_bit_flips) {
    std::string s = "record batch";
    uint32_t before = base::crc32c(as_bytes(s));
    s[3] ^= 0x01;
    EXPECT_NE(base::crc32c(as_bytes(s)), before);
}

TEST(crc32_ieee, check_value_of_123456789_is_standard) {
    EXPECT_EQ(base::crc32_ieee(as_bytes("123456789")), 0xCBF43926u);
}

TEST(crc32_ieee, chaining_across_chunks_equals_one_pass) {
    auto all = as_bytes("The quick brown fox jumps over the lazy dog");
    EXPECT_EQ(base::crc32_ieee(all), 0x414FA339u);
    EXPECT_EQ(base::crc32_ieee(all.subspan(10), base::crc32_ieee(all.first(10))),
              0x414FA339u);
}

} // namespace
