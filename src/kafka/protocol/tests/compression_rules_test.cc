#include "kafka/protocol/compression_rules.h"

#include <gtest/gtest.h>

namespace {

using kafka::protocol::compression_allowed;
using kafka::protocol::compression_error;
using model::compression_type;
namespace key = kafka::protocol::api_key;

TEST(compression_rules, zstd_needs_produce_v7_and_fetch_v10) {
    EXPECT_FALSE(compression_allowed(key::produce, 6, compression_type::zstd));
    EXPECT_TRUE(compression_allowed(key::produce, 7, compression_type::zstd));
    EXPECT_FALSE(compression_allowed(key::fetch, 9, compression_type::zstd));
    EXPECT_TRUE(compression_allowed(key::fetch, 10, compression_type::zstd));
    EXPECT_EQ(compression_error(key::produce, 3, compression_type::zstd),
              kafka::error_code::unsupported_compression_type);
    EXPECT_EQ(static_cast<int>(kafka::error_code::unsupported_compression_type), 76);
}

TEST(compression_rules, older_codecs_are_allowed_at_every_version) {
    for (auto c : {compression_type::none, compression_type::gzip,
                   compression_type::snappy, compression_type::lz4}) {
        EXPECT_TRUE(compression_allowed(key::produce, 3, c));
        EXPECT_TRUE(compression_allowed(key::fetch, 4, c));
        EXPECT_EQ(compression_error(key::produce, 3, c), kafka::error_code::none);
    }
}

} // namespace
