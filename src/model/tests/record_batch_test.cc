#include "model/record_batch.h"
#include "model/tests/batch_test_support.h"

#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace model;
using namespace model::testing;

constexpr int64_t ts0 = 1700000000000;

parse_options produce() {
    return parse_options{.produce_rules = true};
}

// One record, key "k", value "v", at ts0; every byte written out by hand.
// The CRC is kafka-python's (kafka.record.util.calc_crc32c).
const std::vector<uint8_t> known_batch = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // baseOffset 0
    0x00, 0x00, 0x00, 0x3a,                         // batchLength 58
    0xff, 0xff, 0xff, 0xff,                         // partitionLeaderEpoch -1
    0x02,                                           // magic
    0xe9, 0x9b, 0x8d, 0xd8,                         // crc
    0x00, 0x00,                                     // attributes
    0x00, 0x00, 0x00, 0x00,                         // lastOffsetDelta 0
    0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, // baseTimestamp
    0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, // maxTimestamp
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // producerId -1
    0xff, 0xff,                                     // producerEpoch -1
    0xff, 0xff, 0xff, 0xff,                         // baseSequence -1
    0x00, 0x00, 0x00, 0x01,                         // records 1
    // length 8, attributes, timestampDelta 0, offsetDelta 0, key "k",
    // value "v", no headers
    0x10, 0x00, 0x00, 0x00, 0x02, 'k', 0x02, 'v', 0x00};

TEST(record_batch, a_hand_built_batch_parses_with_its_known_crc) {
    ASSERT_EQ(known_batch.size(), 70u);
    auto batch = parse_record_batch(known_batch, produce());
    ASSERT_TRUE(batch) << batch.message();
    const auto& h = batch->header();
    EXPECT_EQ(h.crc, 0xe99b8dd8u);
    EXPECT_EQ(h.batch_length, 58);
    EXPECT_EQ(h.record_count, 1);
    EXPECT_EQ(h.base_timestamp, ts0);
    EXPECT_EQ(batch->base_offset(), model::offset(0));
    EXPECT_EQ(batch->last_offset(), model::offset(0));
    EXPECT_EQ(batch->leader_epoch(), model::term_id(-1));
    EXPECT_EQ(batch->compression(), compression_type::none);
    auto records = read_all(*batch);
    ASSERT_TRUE(records);
    EXPECT_EQ(*records, with_offsets({{"k", "v", {}, ts0}}));
}

TEST(record_batch, the_builder_writes_the_hand_built_bytes) {
    auto built = build({{"k", "v", {}, ts0}});
    EXPECT_EQ(to_bytes(built), known_batch);
}

std::vector<std::vector<owned_record>> record_shapes() {
    std::vector<std::vector<owned_record>> shapes;
    shapes.push_back({{"key", "value", {}, ts0}});
    shapes.push_back({{std::nullopt, "value", {}, ts0}});
    shapes.push_back({{"key", std::nullopt, {}, ts0}});
    shapes.push_back({{std::nullopt, std::nullopt, {}, ts0}});
    // Empty is not null.
    shapes.push_back({{"", "", {}, ts0}, {std::nullopt, "", {}, ts0}});
    shapes.push_back({{"k",
                       "v",
                       {{"h1", "x"}, {"h2", std::nullopt}, {"", ""}, {"h1", "again"}},
                       ts0}});
    std::vector<owned_record> many;
    for (int i = 0; i < 1000; ++i) {
        owned_record r{"key-" + std::to_string(i),
                       std::string(i % 50, 'a' + i % 26),
                       {},
                       ts0 + (i % 7 == 0 ? -i : i)}; // some timestamps before the first
        for (int h = 0; h < i % 4; ++h) {
            r.headers.emplace_back("h" + std::to_string(h), std::to_string(i));
        }
        many.push_back(std::move(r));
    }
    shapes.push_back(std::move(many));
    // Larger than an iobuf fragment.
    shapes.push_back({{"big", std::string(300 * 1000, 'z'), {}, ts0},
                      {"after", "small", {}, ts0 + 1}});
    return shapes;
}

TEST(record_batch, build_parse_iterate_round_trips_every_codec_and_record_shape) {
    for (auto type : all_codecs) {
        for (const auto& records : record_shapes()) {
            auto built = build(records, type);
            auto bytes = to_bytes(built);
            // Whole, and in 13-byte fragments (fields straddle them).
            for (size_t piece : {bytes.size(), size_t{13}}) {
                auto batch = parse_record_batch(fragmented(bytes, piece), produce());
                ASSERT_TRUE(batch) << to_string(type) << ": " << batch.message();
                EXPECT_EQ(batch->compression(), type);
                EXPECT_EQ(batch->record_count(), static_cast<int32_t>(records.size()));
                auto back = read_all(*batch);
                ASSERT_TRUE(back) << to_string(type) << ": " << back.message();
                EXPECT_EQ(*back, with_offsets(records)) << to_string(type);
            }
        }
    }
}

TEST(record_batch, fields_straddling_any_fragment_boundary_read_the_same) {
    auto records = record_shapes()[5];
    auto bytes = to_bytes(build(records));
    for (size_t piece = 1; piece <= 70; ++piece) {
        auto batch = parse_record_batch(fragmented(bytes, piece), produce());
        ASSERT_TRUE(batch) << piece << ": " << batch.message();
        auto back = read_all(*batch);
        ASSERT_TRUE(back) << piece << ": " << back.message();
        EXPECT_EQ(*back, with_offsets(records)) << piece;
    }
}

TEST(record_batch, record_timestamps_span_the_records_own_timestamps) {
    auto batch =
        build({{"a", "1", {}, ts0}, {"b", "2", {}, ts0 - 5}, {"c", "3", {}, ts0 + 9}});
    EXPECT_EQ(batch.header().max_timestamp, ts0 + 9);
    auto parsed = parse_record_batch(batch.data().share());
    ASSERT_TRUE(parsed);
    ASSERT_TRUE(parsed->record_timestamps());
    EXPECT_EQ(parsed->record_timestamps()->min, ts0 - 5);
    EXPECT_EQ(parsed->record_timestamps()->max, ts0 + 9);
    auto unverified = parse_record_batch(batch.data().share(), {.verify_records = false});
    ASSERT_TRUE(unverified);
    EXPECT_FALSE(unverified->record_timestamps());
}

// Kafka refuses 0-record batches on produce (LogValidator), but compaction
// leaves empty batches in a log to keep producer state: both hold here.
TEST(record_batch, empty_batches_pass_as_log_content_but_not_as_a_produce) {
    auto empty = record_batch_builder().set_producer(9, 1, 0).build();
    EXPECT_EQ(empty.header().last_offset_delta, 0);
    auto as_log = parse_record_batch(empty.data().share());
    ASSERT_TRUE(as_log) << as_log.message();
    EXPECT_EQ(as_log->record_count(), 0);
    EXPECT_FALSE(as_log->record_timestamps());
    auto records = read_all(*as_log);
    ASSERT_TRUE(records);
    EXPECT_TRUE(records->empty());
    auto as_produce = parse_record_batch(empty.data().share(), produce());
    ASSERT_FALSE(as_produce);
    EXPECT_EQ(as_produce.code(), batch_errc::invalid_record_count);
}

TEST(record_batch, offset_gaps_pass_as_log_content_but_not_as_a_produce) {
    // Compaction removed the record at delta 1 and the last one (delta 3).
    record_batch_header h;
    h.last_offset_delta = 3;
    h.record_count = 2;
    auto bytes = raw_batch(
        h, concat({raw_record::simple(0).framed(), raw_record::simple(2).framed()}));
    auto as_log = parse_record_batch(bytes);
    ASSERT_TRUE(as_log) << as_log.message();
    EXPECT_EQ(as_log->last_offset(), model::offset(3));
    auto records = read_all(*as_log);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[1].offset, 2);
    auto as_produce = parse_record_batch(bytes, produce());
    ASSERT_FALSE(as_produce);
    EXPECT_EQ(as_produce.code(), batch_errc::invalid_offsets);
}

TEST(record_batch, log_append_time_shows_max_timestamp_and_is_refused_on_produce) {
    record_batch_builder builder;
    builder.set_log_append_time(ts0 + 1000);
    auto batch = add_all(builder, {{"a", "1", {}, ts0}, {"b", "2", {}, ts0 + 1}}).build();
    auto parsed = parse_record_batch(batch.data().share());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->header().ts_type(), timestamp_type::log_append_time);
    auto records = read_all(*parsed);
    ASSERT_TRUE(records);
    for (const auto& r : *records) {
        EXPECT_EQ(r.timestamp, ts0 + 1000);
    }
    EXPECT_EQ(parsed->record_timestamps()->max, ts0 + 1);
    auto as_produce = parse_record_batch(batch.data().share(), produce());
    ASSERT_FALSE(as_produce);
    EXPECT_EQ(as_produce.code(), batch_errc::invalid_timestamp);
}

TEST(record_batch, producer_fields_and_flags_round_trip) {
    record_batch_builder builder;
    builder.set_producer(123456789012, 17, 42)
        .set_transactional()
        .set_partition_leader_epoch(model::term_id(5))
        .set_base_offset(model::offset(77));
    auto batch = add_all(builder, {{"k", "v", {}, ts0}}).build();
    auto parsed = parse_record_batch(batch.data().share());
    ASSERT_TRUE(parsed);
    const auto& h = parsed->header();
    EXPECT_EQ(h.producer_id, 123456789012);
    EXPECT_EQ(h.producer_epoch, 17);
    EXPECT_EQ(h.base_sequence, 42);
    EXPECT_TRUE(h.is_transactional());
    EXPECT_FALSE(h.is_control());
    EXPECT_FALSE(h.has_delete_horizon());
    EXPECT_EQ(parsed->leader_epoch(), model::term_id(5));
    EXPECT_EQ(parsed->base_offset(), model::offset(77));
    EXPECT_EQ(h, batch.header());
}

TEST(record_batch, offset_and_epoch_rewrites_keep_the_crc_and_share_the_records) {
    auto original = parse_record_batch(to_bytes(build(record_shapes()[6])));
    ASSERT_TRUE(original);
    auto batch = original->share();
    auto crc = batch.header().crc;
    batch.set_base_offset(model::offset(1000));
    batch.set_partition_leader_epoch(model::term_id(7));
    EXPECT_EQ(batch.header().crc, crc);
    // The records' bytes are the original's, not a copy.
    const uint8_t* records = original->data().fragments().front().data() + 61;
    EXPECT_EQ(batch.data().fragments().size(), 2u);
    EXPECT_EQ(batch.data().fragments().back().data(), records);
    auto reparsed = parse_record_batch(batch.data().share());
    ASSERT_TRUE(reparsed) << reparsed.message();
    EXPECT_EQ(reparsed->base_offset(), model::offset(1000));
    EXPECT_EQ(reparsed->last_offset(), model::offset(1999));
    EXPECT_EQ(reparsed->leader_epoch(), model::term_id(7));
    auto back = read_all(*reparsed);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->front().offset, 1000);
    EXPECT_EQ(back->back().offset, 1999);
    // The original is untouched.
    EXPECT_EQ(original->base_offset(), model::offset(0));
}

TEST(record_batch, span_rewrites_change_their_fields_in_place_and_nothing_else) {
    auto bytes = to_bytes(build({{"k", "v", {}, ts0}, {"k2", "v2", {}, ts0}}));
    auto before = bytes;
    set_base_offset(bytes, model::offset(0x0102030405060708));
    set_partition_leader_epoch(bytes, model::term_id(0x0a0b0c0d));
    for (size_t i = 0; i < bytes.size(); ++i) {
        bool rewritten = i < 8 || (i >= 12 && i < 16);
        EXPECT_EQ(bytes[i] != before[i], rewritten) << "byte " << i;
    }
    auto parsed = parse_record_batch(bytes);
    ASSERT_TRUE(parsed) << parsed.message();
    EXPECT_EQ(parsed->base_offset(), model::offset(0x0102030405060708));
    EXPECT_EQ(parsed->leader_epoch(), model::term_id(0x0a0b0c0d));
}

TEST(record_batch, set_max_timestamp_recomputes_the_crc) {
    auto batch = build({{"k", "v", {}, ts0}});
    auto crc = batch.header().crc;
    batch.set_max_timestamp(timestamp_type::log_append_time, ts0 + 500);
    EXPECT_NE(batch.header().crc, crc);
    auto parsed = parse_record_batch(batch.data().share());
    ASSERT_TRUE(parsed) << parsed.message();
    EXPECT_EQ(parsed->header().max_timestamp, ts0 + 500);
    EXPECT_EQ(parsed->header().ts_type(), timestamp_type::log_append_time);
    batch.set_max_timestamp(timestamp_type::create_time, ts0);
    EXPECT_EQ(batch.header().crc, crc);
    EXPECT_EQ(to_bytes(batch), to_bytes(build({{"k", "v", {}, ts0}})));
}

TEST(record_batch, control_batches_carry_checked_keys_and_markers) {
    record_batch_builder builder;
    builder.set_control().set_transactional().set_producer(5, 0, -1);
    builder.add_control_record(control_record_type::commit, transaction_marker_value(3),
                               ts0);
    auto batch = parse_record_batch(builder.build().data().share());
    ASSERT_TRUE(batch) << batch.message();
    EXPECT_TRUE(batch->header().is_control());
    auto reader = record_reader::open(*batch, 1 << 20);
    ASSERT_TRUE(reader);
    auto rec = reader->next();
    ASSERT_TRUE(rec && *rec);
    auto key = parse_control_key((*rec)->key);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->version, 0);
    EXPECT_EQ(key->type, static_cast<int16_t>(control_record_type::commit));
}

TEST(record_batch, transaction_markers_read_back_with_their_decision_and_epoch) {
    for (auto type : {control_record_type::commit, control_record_type::abort}) {
        record_batch_builder builder;
        builder.set_control().set_transactional().set_producer(5, 0, -1);
        builder.add_control_record(type, transaction_marker_value(7), ts0);
        auto marker = read_transaction_marker(builder.build());
        ASSERT_TRUE(marker);
        EXPECT_EQ(marker->commit, type == control_record_type::commit);
        EXPECT_EQ(marker->coordinator_epoch, 7);
    }
    // Data batches, and control batches of another kind, carry none.
    EXPECT_FALSE(read_transaction_marker(build({{"k", "v", {}, ts0}})));
    record_batch_builder leader_change;
    leader_change.set_control();
    leader_change.add_control_record(control_record_type::leader_change, std::nullopt,
                                     ts0);
    EXPECT_FALSE(read_transaction_marker(leader_change.build()));
}

std::vector<uint8_t> control_batch(const raw_record& record) {
    record_batch_header h;
    h.attributes = batch_attributes::control_bit | batch_attributes::transactional_bit;
    h.record_count = 1;
    return raw_batch(h, record.framed());
}

TEST(record_batch, malformed_control_records_are_refused) {
    const std::string marker("\x00\x00\x00\x00\x00\x03", 6);
    const std::string commit("\x00\x00\x00\x01", 4);
    struct {
        std::optional<std::string_view> key;
        std::optional<std::string_view> value;
        bool ok;
    } cases[] = {
        {commit, marker, true},
        {std::string_view("\x00\x00\x00\x63", 4), std::nullopt, true}, // unknown type
        {std::nullopt, marker, false},                                 // null key
        {std::string_view("\x00\x00\x00", 3), marker, false},          // short key
        {std::string_view("\xff\xff\x00\x01", 4), marker, false},      // version -1
        {commit, std::nullopt, false},                                 // no marker
        {commit, std::string_view("\x00\x00\x00\x00\x00", 5), false},  // short marker
        {commit, std::string_view("\x80\x00\x00\x00\x00\x00", 6), false},
    };
    for (const auto& c : cases) {
        auto batch =
            parse_record_batch(control_batch(raw_record::simple(0, c.key, c.value)));
        EXPECT_EQ(bool(batch), c.ok) << (batch ? "" : batch.message());
        if (!batch && !c.ok) {
            EXPECT_EQ(batch.code(), batch_errc::invalid_control_record);
        }
    }
}

TEST(record_batch, old_message_formats_are_refused_by_name) {
    for (int magic : {0, 1, 3, -1}) {
        auto bytes = known_batch;
        bytes[batch_layout::magic] = static_cast<uint8_t>(magic);
        auto parsed = parse_record_batch(bytes);
        ASSERT_FALSE(parsed);
        EXPECT_EQ(parsed.code(),
                  magic == 0 || magic == 1 ? batch_errc::unsupported_magic
                                           : batch_errc::invalid_magic)
            << magic;
    }
    // A v0 message is shorter than a v2 header: the magic still names it.
    std::vector<uint8_t> v0 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 1,
                               2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0};
    auto parsed = parse_record_batch(v0);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.code(), batch_errc::unsupported_magic);
}

TEST(record_batch, offset_ranges_that_overflow_are_refused) {
    record_batch_header h;
    h.base_offset = std::numeric_limits<int64_t>::max() - 1;
    h.last_offset_delta = 2;
    h.record_count = 1;
    auto parsed = parse_record_batch(raw_batch(h, raw_record::simple(0).framed()));
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.code(), batch_errc::invalid_offsets);
    h.last_offset_delta = 1; // the last offset is int64's largest: fine
    EXPECT_TRUE(parse_record_batch(raw_batch(h, raw_record::simple(0).framed())));
}

} // namespace
