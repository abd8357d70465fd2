#include "rpc/frame.h"

#include <gtest/gtest.h>

using namespace rpc;

TEST(rpc_frame, a_header_round_trips) {
    header h{.flags = flags::response | flags::error,
             .method = 0xBEEF,
             .correlation = 0x0102030405060708ULL,
             .payload_bytes = 77,
             .payload_crc = 0xCAFEBABE};
    auto decoded = decode_header(encode_header(h), 1000);
    ASSERT_TRUE(decoded.value.has_value()) << decoded.error;
    EXPECT_EQ(decoded.value->flags, h.flags);
    EXPECT_EQ(decoded.value->method, h.method);
    EXPECT_EQ(decoded.value->correlation, h.correlation);
    EXPECT_EQ(decoded.value->payload_bytes, 77u);
    EXPECT_EQ(decoded.value->payload_crc, 0xCAFEBABEu);
}

TEST(rpc_frame, garbage_and_oversized_headers_are_refused_with_a_reason) {
    auto bytes = encode_header(header{.payload_bytes = 10});
    auto bad_magic = bytes;
    bad_magic[0] = 'X';
    EXPECT_NE(decode_header(bad_magic, 100).error.find("magic"), std::string::npos);
    auto bad_version = bytes;
    bad_version[4] = 9;
    EXPECT_NE(decode_header(bad_version, 100).error.find("version"), std::string::npos);
    EXPECT_NE(decode_header(bytes, 9).error.find("limit"), std::string::npos);
    EXPECT_TRUE(decode_header(bytes, 10).value.has_value());
}

TEST(rpc_frame, a_frame_carries_its_payload_size_and_crc) {
    auto f = make_frame(header{.method = 3}, base::iobuf::copy_of("hello"));
    ASSERT_EQ(f.size_bytes(), header_bytes + 5);
    std::array<uint8_t, header_bytes> head{};
    f.copy_out(0, head);
    auto h = decode_header(head, 100).value;
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->payload_bytes, 5u);
    EXPECT_NE(h->payload_crc, 0u);
}
