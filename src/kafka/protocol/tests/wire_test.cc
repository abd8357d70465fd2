#include "kafka/protocol/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace {

using namespace kafka::protocol;

std::vector<uint8_t> bytes_of(const base::iobuf& b) {
    return b.to_vector();
}

TEST(wire, integers_are_big_endian) {
    base::iobuf out;
    writer w(out);
    w.write_int16(0x0102);
    w.write_int32(-2);
    w.write_int64(0x0102030405060708);
    EXPECT_EQ(
        bytes_of(out),
        (std::vector<uint8_t>{1, 2, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8}));
    auto v = bytes_of(out);
    reader r(v);
    EXPECT_EQ(r.read_int16(), 0x0102);
    EXPECT_EQ(r.read_int32(), -2);
    EXPECT_EQ(r.read_int64(), 0x0102030405060708);
    EXPECT_FALSE(r.failed());
    EXPECT_EQ(r.remaining(), 0u);
}

TEST(wire, strings_classic_and_compact_with_null) {
    base::iobuf out;
    writer w(out);
    w.write_string("ab", false);
    w.write_string("ab", true);
    w.write_nullable_string(std::nullopt, false);
    w.write_nullable_string(std::nullopt, true);
    EXPECT_EQ(bytes_of(out),
              (std::vector<uint8_t>{0, 2, 'a', 'b', 3, 'a', 'b', 0xff, 0xff, 0}));
    auto v = bytes_of(out);
    reader r(v);
    EXPECT_EQ(r.read_string(false), "ab");
    EXPECT_EQ(r.read_string(true), "ab");
    EXPECT_EQ(r.read_nullable_string(false), std::nullopt);
    EXPECT_EQ(r.read_nullable_string(true), std::nullopt);
    EXPECT_FALSE(r.failed());
}

TEST(wire, counting_writer_matches_real_size) {
    base::iobuf out;
    writer real(out);
    writer counting;
    for (auto* w : {&real, &counting}) {
        w->write_string("hello", true);
        w->write_uvarint(300);
        w->write_bytes(std::vector<uint8_t>(10, 1), false);
    }
    EXPECT_EQ(counting.written(), out.size_bytes());
    EXPECT_EQ(real.written(), out.size_bytes());
}

TEST(wire, truncated_input_fails_and_reads_zero) {
    const uint8_t in[] = {0, 1};
    reader r(in);
    EXPECT_EQ(r.read_int32(), 0);
    EXPECT_TRUE(r.failed());
    EXPECT_NE(r.error().find("truncated"), std::string::npos);
    // After a failure everything reads as zero and nothing is consumed.
    EXPECT_EQ(r.read_int16(), 0);
    EXPECT_EQ(r.remaining(), 0u);
}

TEST(wire, lengths_beyond_the_input_fail) {
    const uint8_t long_string[] = {0, 10, 'a'};
    reader r1(long_string);
    EXPECT_EQ(r1.read_string(false), "");
    EXPECT_TRUE(r1.failed());

    const uint8_t negative[] = {0xff, 0xfe};
    reader r2(negative);
    (void)r2.read_nullable_string(false);
    EXPECT_TRUE(r2.failed());

    // An array count far beyond the bytes left cannot be honest.
    const uint8_t huge_array[] = {0x7f, 0xff, 0xff, 0xff};
    reader r3(huge_array);
    (void)r3.read_array_length(false);
    EXPECT_TRUE(r3.failed());

    const uint8_t null_in_non_nullable[] = {0xff, 0xff};
    reader r4(null_in_non_nullable);
    (void)r4.read_string(false);
    EXPECT_TRUE(r4.failed());
}

TEST(wire, records_are_shared_not_copied_when_written) {
    base::iobuf batch = base::iobuf::copy_of(std::string_view("batchbytes"));
    std::optional<base::iobuf> records(std::move(batch));
    base::iobuf out;
    writer w(out);
    w.write_records(records, false);
    ASSERT_EQ(out.size_bytes(), 4u + 10u);
    EXPECT_EQ(out.fragments().back().data(), records->fragments().front().data());
}

TEST(wire, uuid_prints_in_the_usual_form) {
    uuid id{};
    id[0] = 0xab;
    id[15] = 0x01;
    EXPECT_EQ(to_string(id), "ab000000-0000-0000-0000-000000000001");
}

} // namespace

namespace {

TEST(wire, records_read_from_a_backing_iobuf_share_its_buffer) {
    base::iobuf frame;
    kafka::protocol::writer w(frame);
    w.write_int32(7);
    w.write_records(base::iobuf::copy_of(std::string_view("batch")), false);
    // One contiguous fragment, as a connection reads a request.
    auto bytes = frame.to_vector();
    std::shared_ptr<uint8_t[]> buf(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), buf.get());
    auto backing = base::iobuf::adopt(buf, bytes.size());

    kafka::protocol::reader r(backing);
    EXPECT_EQ(r.read_int32(), 7);
    auto records = r.read_records(false);
    ASSERT_TRUE(records.has_value());
    EXPECT_EQ(records->to_string(), "batch");
    EXPECT_EQ(records->fragments().front().data(), buf.get() + 8);
    EXPECT_FALSE(r.failed());
}

} // namespace
