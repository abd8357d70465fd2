#include "kafka/protocol/messages/api_catalog.h"
#include "kafka/protocol/messages/api_versions.h"
#include "kafka/protocol/messages/headers.h"
#include "kafka/protocol/messages/metadata.h"

#include "kafka/protocol/tests/encode_helpers.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace {

using namespace kafka::protocol;

template<typename M>
std::vector<uint8_t> encode(const M& m, int16_t version) {
    return kafka::protocol::testing::encode_bytes(m, version);
}

template<typename M>
M decode(const std::vector<uint8_t>& bytes, int16_t version) {
    reader r(bytes);
    M m;
    m.decode(r, version);
    EXPECT_FALSE(r.failed()) << r.error();
    EXPECT_EQ(r.remaining(), 0u);
    return m;
}

api_versions_response sample_api_versions() {
    api_versions_response m;
    m.api_keys.push_back({.api_key = 18, .min_version = 0, .max_version = 4});
    m.api_keys.push_back({.api_key = 3, .min_version = 0, .max_version = 12});
    m.throttle_time_ms = 7;
    return m;
}

TEST(api_versions, v0_response_matches_the_wire_layout) {
    auto bytes = encode(sample_api_versions(), 0);
    std::vector<uint8_t> expected = {0, 0,              // error_code
                                     0, 0,  0, 2,       // array length
                                     0, 18, 0, 0, 0, 4, //
                                     0, 3,  0, 0, 0, 12};
    EXPECT_EQ(bytes, expected);
}

TEST(api_versions, v3_response_is_compact_with_tagged_fields) {
    auto bytes = encode(sample_api_versions(), 3);
    std::vector<uint8_t> expected = {
        0, 0,                  // error_code
        3,                     // compact array length (2 + 1)
        0, 18, 0, 0, 0, 4,  0, // entry + its tagged-field count
        0, 3,  0, 0, 0, 12, 0, //
        0, 0,  0, 7,           // throttle_time_ms
        0};                    // no tagged fields
    EXPECT_EQ(bytes, expected);
}

TEST(api_versions, known_tagged_fields_round_trip_and_unknown_are_kept) {
    auto m = sample_api_versions();
    m.finalized_features_epoch = 5;
    m.supported_features.push_back({.name = "f", .min_version = 1, .max_version = 2});
    m.unknown_tags.push_back({.tag = 9, .data = {1, 2, 3}});
    for (int16_t v = 3; v <= 4; ++v) {
        auto back = decode<api_versions_response>(encode(m, v), v);
        EXPECT_EQ(back, m) << "version " << v;
    }
}

TEST(api_versions, request_v3_carries_client_software) {
    api_versions_request req;
    req.client_software_name = "librdkafka";
    req.client_software_version = "2.0.2";
    auto back = decode<api_versions_request>(encode(req, 3), 3);
    EXPECT_EQ(back.client_software_name, "librdkafka");
    EXPECT_EQ(back.client_software_version, "2.0.2");
    // Fields a version lacks are not on the wire.
    EXPECT_TRUE(encode(req, 2).empty());
}

metadata_response sample_metadata() {
    metadata_response m;
    m.brokers.push_back({.node_id = 1, .host = "127.0.0.1", .port = 9092});
    m.cluster_id = "cluster";
    m.controller_id = 1;
    metadata_response::topic t;
    t.name = "orders";
    t.topic_id[3] = 9;
    t.partitions.push_back({.partition_index = 0,
                            .leader_id = 1,
                            .leader_epoch = 3,
                            .replica_nodes = {1},
                            .isr_nodes = {1}});
    m.topics.push_back(t);
    return m;
}

TEST(metadata, responses_round_trip_at_every_version) {
    auto m = sample_metadata();
    for (int16_t v = 0; v <= 12; ++v) {
        auto back = decode<metadata_response>(encode(m, v), v);
        EXPECT_EQ(back.brokers.at(0).host, "127.0.0.1");
        EXPECT_EQ(back.topics.at(0).name, "orders");
        EXPECT_EQ(back.topics.at(0).partitions.at(0).isr_nodes, std::vector<int32_t>{1});
        EXPECT_EQ(back.cluster_id == "cluster", v >= 2) << v;
        EXPECT_EQ(back.topics.at(0).partitions.at(0).leader_epoch, v >= 7 ? 3 : -1) << v;
        EXPECT_EQ(back.topics.at(0).topic_id[3], v >= 10 ? 9 : 0) << v;
    }
}

TEST(metadata, null_topics_means_all_from_v1) {
    metadata_request all;
    auto v1 = encode(all, 1);
    EXPECT_EQ(v1, (std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff}));
    EXPECT_FALSE(decode<metadata_request>(v1, 1).topics.has_value());
    // v0 cannot say null: a null list decodes as an error.
    reader r(v1);
    metadata_request m;
    m.decode(r, 0);
    EXPECT_TRUE(r.failed());
}

TEST(headers, request_header_v2_keeps_a_classic_client_id) {
    request_header h{
        .api_key = 18, .api_version = 3, .correlation_id = 42, .client_id = "rdkafka"};
    auto bytes = encode(h, 2);
    std::vector<uint8_t> expected = {0, 18,  0,   3,   0,   0,   0,   42,  0,
                                     7, 'r', 'd', 'k', 'a', 'f', 'k', 'a', 0};
    EXPECT_EQ(bytes, expected);
    auto back = decode<request_header>(bytes, 2);
    EXPECT_EQ(back.client_id, "rdkafka");
}

TEST(catalog, lists_each_defined_api_once) {
    int seen_api_versions = 0;
    for (const auto& api : api_definitions) {
        if (api.key == api_key::api_versions) {
            ++seen_api_versions;
            EXPECT_EQ(api.max_version, 4);
            EXPECT_EQ(api.first_flexible_version, 3);
        }
    }
    EXPECT_EQ(seen_api_versions, 1);
}

// Any byte string decodes to a message or a failure: never a crash or an
// out-of-bounds read (the sanitize build checks the latter).
TEST(decoders, random_and_truncated_inputs_never_crash) {
    std::mt19937 rng(1234);
    auto valid = encode(sample_metadata(), 12);
    for (int i = 0; i < 2000; ++i) {
        std::vector<uint8_t> input;
        if (i % 2 == 0) {
            input.assign(valid.begin(), valid.begin() + rng() % valid.size());
        } else {
            input.resize(rng() % 64);
            for (auto& b : input) {
                b = static_cast<uint8_t>(rng());
            }
        }
        for (int16_t v : {0, 1, 9, 12}) {
            reader r(input);
            metadata_response m;
            m.decode(r, v);
            reader r2(input);
            api_versions_response a;
            a.decode(r2, v > 4 ? 4 : v);
        }
    }
    // A truncated valid message is always detected.
    for (size_t cut = 0; cut < valid.size(); ++cut) {
        std::vector<uint8_t> input(valid.begin(), valid.begin() + cut);
        reader r(input);
        metadata_response m;
        m.decode(r, 12);
        EXPECT_TRUE(r.failed()) << "cut at " << cut;
    }
}

} // namespace
