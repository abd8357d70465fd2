#include "model/batch_walker.h"
#include "model/record_batch.h"
#include "model/tests/batch_test_support.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

// Every way a batch can be damaged is caught, with the code that names it.

namespace {

using namespace model;
using namespace model::testing;

constexpr int64_t ts0 = 1700000000000;

std::vector<owned_record> three_records() {
    return {{"k0", "v0", {{"h", "x"}}, ts0},
            {std::nullopt, "v1", {}, ts0 + 1},
            {"k2", std::nullopt, {}, ts0 + 2}};
}

// Bytes 0-7 (baseOffset) and 12-15 (partitionLeaderEpoch) lie outside the
// CRC by design: the broker rewrites them without recomputing it.
bool outside_crc(size_t i) {
    return i < 8 || (i >= 12 && i < 16);
}

TEST(corruption, flipping_any_byte_the_crc_covers_is_caught) {
    for (auto type : all_codecs) {
        auto good = to_bytes(build(three_records(), type));
        for (size_t i = 0; i < good.size(); ++i) {
            for (uint8_t flip : {0x01, 0x80, 0xff}) {
                auto bad = good;
                bad[i] ^= flip;
                auto parsed = parse_record_batch(bad);
                if (outside_crc(i)) {
                    EXPECT_TRUE(parsed) << to_string(type) << " byte " << i;
                    continue;
                }
                ASSERT_FALSE(parsed) << to_string(type) << " byte " << i;
                if (i >= batch_layout::crc) {
                    EXPECT_EQ(parsed.code(), batch_errc::crc_mismatch) << i;
                } else if (i == batch_layout::magic) {
                    EXPECT_TRUE(parsed.code() == batch_errc::unsupported_magic
                                || parsed.code() == batch_errc::invalid_magic);
                } else {
                    EXPECT_TRUE(parsed.code() == batch_errc::truncated
                                || parsed.code() == batch_errc::trailing_bytes
                                || parsed.code() == batch_errc::bad_length)
                        << to_string(parsed.code());
                }
            }
        }
    }
}

// The fuzzer's view: with the CRC made to match, damage behind it is
// refused or harmless, and whatever parses also reads back whole.
TEST(corruption, flips_behind_a_matching_crc_are_refused_or_read_whole) {
    for (auto type : all_codecs) {
        auto good = to_bytes(build(three_records(), type));
        for (size_t i = batch_layout::attributes; i < good.size(); ++i) {
            for (uint8_t flip : {0x01, 0x40, 0xff}) {
                auto bad = good;
                bad[i] ^= flip;
                fix_crc(bad);
                auto parsed = parse_record_batch(bad);
                if (parsed) {
                    auto records = read_all(*parsed);
                    ASSERT_TRUE(records) << to_string(type) << " byte " << i;
                    EXPECT_EQ(records->size(), size_t(parsed->record_count()));
                }
            }
        }
    }
}

TEST(corruption, truncation_at_every_length_is_truncated_alone_and_partial_in_a_walk) {
    for (auto type : all_codecs) {
        auto good = to_bytes(build(three_records(), type));
        for (size_t cut = 0; cut < good.size(); ++cut) {
            std::span<const uint8_t> part(good.data(), cut);
            auto parsed = parse_record_batch(part);
            ASSERT_FALSE(parsed) << cut;
            EXPECT_EQ(parsed.code(), batch_errc::truncated) << cut;
            batch_walker walker(base::iobuf::copy_of(part));
            auto next = walker.next();
            ASSERT_TRUE(next) << cut << ": " << next.message();
            EXPECT_FALSE(*next) << cut;
            EXPECT_EQ(walker.partial_bytes(), cut);
        }
    }
}

std::vector<uint8_t> with_header(std::vector<uint8_t> batch,
                                 const std::function<void(record_batch_header&)>& edit) {
    auto h = decode_header(header_bytes_span(batch.data(), batch_layout::header_bytes));
    edit(h);
    std::span<const uint8_t> records(batch.data() + batch_layout::header_bytes,
                                     batch.size() - batch_layout::header_bytes);
    return raw_batch(h, records);
}

TEST(corruption, lying_record_counts_are_caught) {
    struct {
        std::function<void(record_batch_header&)> edit;
        batch_errc expected;
    } cases[] = {
        // More records than offsets.
        {[](auto& h) { h.record_count = 4; }, batch_errc::invalid_record_count},
        // More records than bytes, offsets to match.
        {[](auto& h) { h.record_count = h.last_offset_delta = 4; },
         batch_errc::invalid_record_count},
        // Fewer records than bytes.
        {[](auto& h) { h.record_count = 2; }, batch_errc::trailing_bytes},
        {[](auto& h) { h.record_count = -1; }, batch_errc::invalid_record_count},
        {[](auto& h) { h.record_count = 0; }, batch_errc::trailing_bytes},
        {[](auto& h) {
             h.record_count = std::numeric_limits<int32_t>::max();
             h.last_offset_delta = std::numeric_limits<int32_t>::max() - 1;
         },
         batch_errc::invalid_record_count},
    };
    for (auto type : all_codecs) {
        auto good = to_bytes(build(three_records(), type));
        for (const auto& c : cases) {
            auto parsed = parse_record_batch(with_header(good, c.edit));
            ASSERT_FALSE(parsed) << to_string(type);
            EXPECT_EQ(parsed.code(), c.expected)
                << to_string(type) << ": " << parsed.message();
        }
    }
}

// Records in an uncompressed batch; lastOffsetDelta count - 1 unless given.
batch_result<record_batch> parse_records(std::vector<std::vector<uint8_t>> records,
                                         std::optional<int32_t> last_offset_delta = {}) {
    record_batch_header h;
    h.record_count = static_cast<int32_t>(records.size());
    h.last_offset_delta = last_offset_delta.value_or(std::max(h.record_count - 1, 0));
    return parse_record_batch(raw_batch(h, concat(records)));
}

void expect_refused(batch_result<record_batch> parsed, batch_errc code,
                    const char* what) {
    ASSERT_FALSE(parsed) << what;
    EXPECT_EQ(parsed.code(), code) << what << ": " << parsed.message();
}

TEST(corruption, malformed_records_are_invalid_record) {
    auto ok = raw_record::simple(0);
    ASSERT_TRUE(parse_records({ok.framed()}));
    const auto bad = batch_errc::invalid_record;
    expect_refused(parse_records({{0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0}}), bad,
                   "length varint too long");
    expect_refused(parse_records({{0x01, 0, 0, 0, 0, 0, 0, 0}}), bad, "negative length");
    auto body = ok.body();
    auto too_long = raw_record().varint(int64_t(body.size()) + 1).raw(body).body();
    expect_refused(parse_records({too_long}), bad, "length past the records");
    auto short_len = raw_record().varint(int64_t(body.size()) - 1).raw(body).body();
    expect_refused(parse_records({short_len}), bad, "length short of its fields");
    auto key_past = raw_record();
    key_past.raw(std::vector<uint8_t>{0, 0, 0}).varint(100).raw(bytes_of("k")).varint(0);
    expect_refused(parse_records({key_past.framed()}), bad, "key past the record");
    auto key_minus_two = raw_record();
    key_minus_two.raw(std::vector<uint8_t>{0, 0, 0}).varint(-2).varint(-1).varint(0);
    expect_refused(parse_records({key_minus_two.framed()}), bad, "key length -2");
    auto negative_headers = raw_record();
    negative_headers.raw(std::vector<uint8_t>{0, 0, 0}).varint(-1).varint(-1).varint(-1);
    expect_refused(parse_records({negative_headers.framed()}), bad, "header count -1");
    auto null_header_key = raw_record();
    null_header_key.raw(std::vector<uint8_t>{0, 0, 0}).varint(-1).varint(-1).varint(1);
    null_header_key.varint(-1).varint(-1);
    expect_refused(parse_records({null_header_key.framed()}), bad, "null header key");
    auto lying_headers = raw_record();
    lying_headers.raw(std::vector<uint8_t>{0, 0, 0}).varint(-1).varint(-1);
    lying_headers.varint(std::numeric_limits<int32_t>::max())
        .varint(1)
        .raw(bytes_of("h"));
    lying_headers.varint(-1);
    expect_refused(parse_records({lying_headers.framed()}), bad, "header count lies");
}

TEST(corruption, offset_deltas_must_increase_within_the_last_delta) {
    const auto bad = batch_errc::invalid_offsets;
    auto r = [](int32_t delta) { return raw_record::simple(delta).framed(); };
    EXPECT_TRUE(parse_records({r(0), r(1), r(2)}));
    expect_refused(parse_records({r(0), r(0)}), bad, "repeated delta");
    expect_refused(parse_records({r(1), r(0)}), bad, "decreasing deltas");
    expect_refused(parse_records({r(0), r(5)}, 4), bad, "delta past lastOffsetDelta");
    expect_refused(parse_records({r(-1)}, 0), bad, "negative delta");
    expect_refused(parse_records({r(0)}, -2), bad, "negative lastOffsetDelta");
}

TEST(corruption, bytes_after_the_last_record_are_trailing) {
    auto records = raw_record::simple(0).framed();
    records.push_back(0);
    record_batch_header h;
    h.record_count = 1;
    auto parsed = parse_record_batch(raw_batch(h, records));
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.code(), batch_errc::trailing_bytes);
    auto after_batch = to_bytes(build(three_records()));
    after_batch.push_back(0);
    parsed = parse_record_batch(after_batch);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.code(), batch_errc::trailing_bytes);
}

TEST(corruption, batch_lengths_below_a_header_are_bad_length) {
    auto bytes = to_bytes(build(three_records()));
    bytes[batch_layout::batch_length + 3] = 48; // one byte short of a header
    for (size_t b : {0, 1, 2}) {
        bytes[batch_layout::batch_length + b] = 0;
    }
    auto parsed = parse_record_batch(bytes);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.code(), batch_errc::bad_length);
}

TEST(corruption, unassigned_compression_ids_are_unsupported) {
    for (int id : {5, 6, 7}) {
        auto bytes = with_header(to_bytes(build(three_records())), [id](auto& h) {
            h.attributes = static_cast<int16_t>(h.attributes | id);
        });
        auto parsed = parse_record_batch(bytes);
        ASSERT_FALSE(parsed) << id;
        EXPECT_EQ(parsed.code(), batch_errc::unsupported_compression) << id;
    }
}

TEST(corruption, decompression_bombs_inside_a_batch_are_refused) {
    // 8 MiB of zeros compress to a few KiB; a 1 MiB bound refuses them.
    std::vector<owned_record> bomb = {{"k", std::string(8 << 20, '\0'), {}, ts0}};
    for (auto type : all_codecs) {
        if (type == compression_type::none) {
            continue;
        }
        auto batch = build(bomb, type);
        EXPECT_LT(batch.size_bytes(), 1u << 20) << to_string(type);
        auto parsed =
            parse_record_batch(batch.data().share(), {.max_uncompressed_bytes = 1 << 20});
        ASSERT_FALSE(parsed) << to_string(type);
        EXPECT_EQ(parsed.code(), batch_errc::uncompressed_too_large) << to_string(type);
        EXPECT_TRUE(
            parse_record_batch(batch.data().share(), {.max_uncompressed_bytes = 9 << 20}))
            << to_string(type);
    }
}

TEST(corruption, garbage_where_compressed_records_belong_is_bad_compressed_data) {
    for (auto type : all_codecs) {
        if (type == compression_type::none) {
            continue;
        }
        record_batch_header h;
        h.attributes = static_cast<int16_t>(type);
        h.record_count = 1;
        std::vector<uint8_t> junk(40, 0x5a);
        auto parsed = parse_record_batch(raw_batch(h, junk));
        ASSERT_FALSE(parsed) << to_string(type);
        EXPECT_TRUE(parsed.code() == batch_errc::bad_compressed_data
                    || parsed.code() == batch_errc::uncompressed_too_large)
            << to_string(type) << ": " << parsed.message();
    }
}

} // namespace
