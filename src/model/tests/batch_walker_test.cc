#include "model/batch_walker.h"
#include "model/tests/batch_test_support.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace model;
using namespace model::testing;

constexpr int64_t ts0 = 1700000000000;

// One batch per codec, at consecutive offsets.
std::vector<std::vector<uint8_t>> batches_of_every_codec() {
    std::vector<std::vector<uint8_t>> out;
    int64_t base = 0;
    for (auto type : all_codecs) {
        std::vector<owned_record> records;
        for (int i = 0; i < 5; ++i) {
            records.push_back(
                {"k" + std::to_string(i), std::string(100, 'v'), {}, ts0 + i});
        }
        record_batch_builder builder;
        builder.set_base_offset(model::offset(base)).set_compression(type);
        out.push_back(to_bytes(add_all(builder, records).build()));
        base += 5;
    }
    return out;
}

// The walk is over, `partial` bytes into a batch it could not finish.
void expect_end(batch_walker& walker, size_t partial) {
    auto next = walker.next();
    ASSERT_TRUE(next) << next.message();
    EXPECT_FALSE(*next);
    EXPECT_EQ(walker.partial_bytes(), partial);
}

TEST(batch_walker, walks_concatenated_batches_of_every_codec_in_order) {
    auto batches = batches_of_every_codec();
    batch_walker walker(fragmented(concat(batches), 100));
    size_t position = 0;
    for (size_t i = 0; i < batches.size(); ++i) {
        auto next = walker.next();
        ASSERT_TRUE(next) << next.message();
        ASSERT_TRUE(*next);
        const auto& batch = **next;
        EXPECT_EQ(batch.base_offset(), model::offset(int64_t(i) * 5));
        EXPECT_EQ(batch.compression(), all_codecs[i]);
        EXPECT_EQ(to_bytes(batch), batches[i]);
        auto records = read_all(batch);
        ASSERT_TRUE(records);
        EXPECT_EQ(records->size(), 5u);
        position += batches[i].size();
        EXPECT_EQ(walker.position(), position);
    }
    expect_end(walker, 0);
}

TEST(batch_walker, a_batch_cut_short_at_the_end_is_partial_not_corrupt) {
    auto batches = batches_of_every_codec();
    auto whole = concat({batches[0], batches[1]});
    auto last = batches[4];
    for (size_t cut = 1; cut < last.size(); ++cut) {
        auto data = whole;
        data.insert(data.end(), last.begin(), last.begin() + static_cast<long>(cut));
        batch_walker walker(base::iobuf::copy_of(data));
        for (int i = 0; i < 2; ++i) {
            auto next = walker.next();
            ASSERT_TRUE(next && *next) << cut;
        }
        expect_end(walker, cut);
        EXPECT_EQ(walker.position(), whole.size()) << cut;
    }
}

TEST(batch_walker, an_error_ends_the_walk_and_names_the_position) {
    auto batches = batches_of_every_codec();
    batches[1].back() ^= 0x01;
    batch_walker walker(base::iobuf::copy_of(concat(batches)));
    auto first = walker.next();
    ASSERT_TRUE(first && *first);
    auto second = walker.next();
    ASSERT_FALSE(second);
    EXPECT_EQ(second.code(), batch_errc::crc_mismatch);
    EXPECT_NE(second.message().find(fmt::format("at byte {}", batches[0].size())),
              std::string::npos)
        << second.message();
    expect_end(walker, 0);
}

TEST(batch_walker, empty_data_ends_at_once) {
    batch_walker walker(base::iobuf{});
    expect_end(walker, 0);
}

TEST(batch_walker, an_old_format_message_is_refused_even_when_cut_short) {
    auto batches = batches_of_every_codec();
    std::vector<uint8_t> v1(20, 0);
    v1[11] = 200;                // a size past the end, so it would be partial...
    v1[batch_layout::magic] = 1; // ...but its magic says what it is
    batch_walker walker(base::iobuf::copy_of(concat({batches[0], v1})));
    ASSERT_TRUE(walker.next());
    auto next = walker.next();
    ASSERT_FALSE(next);
    EXPECT_EQ(next.code(), batch_errc::unsupported_magic);
}

TEST(batch_walker, produce_rules_apply_to_every_batch) {
    auto empty = to_bytes(record_batch_builder().build());
    auto batches = batches_of_every_codec();
    batch_walker walker(base::iobuf::copy_of(concat({batches[0], empty})),
                        {.produce_rules = true});
    ASSERT_TRUE(walker.next());
    auto next = walker.next();
    ASSERT_FALSE(next);
    EXPECT_EQ(next.code(), batch_errc::invalid_record_count);
}

} // namespace
