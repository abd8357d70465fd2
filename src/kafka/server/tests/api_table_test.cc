#include "kafka/protocol/messages/api_catalog.h"
#include "kafka/server/api_table.h"

#include <gtest/gtest.h>

#include <set>

namespace {

namespace key = kafka::protocol::api_key;

const kafka::api_entry& entry(int16_t k) {
    for (const auto& e : kafka::all_apis()) {
        if (e.key == k) {
            return e;
        }
    }
    throw std::runtime_error("no such api");
}

bool covers(int16_t k, int16_t version) {
    const auto& e = entry(k);
    return e.min_version <= version && version <= e.max_version;
}

TEST(api_table, lists_every_defined_api_once) {
    std::set<int16_t> keys;
    for (const auto& e : kafka::all_apis()) {
        EXPECT_TRUE(keys.insert(e.key).second) << e.name;
    }
    EXPECT_EQ(keys.size(), kafka::protocol::api_definitions.size());
    // The 72 broker APIs of Kafka 4.0 less the 9 share-group ones whose only
    // version is still unstable.
    EXPECT_EQ(keys.size(), 63u);
}

TEST(api_table, ranges_follow_kafka_4_0) {
    EXPECT_EQ(entry(key::produce).min_version, 0);
    // Produce v12 and TxnOffsetCommit v5 (transaction version 2) came in
    // Kafka 4.0's release, after the schemas this project started from.
    EXPECT_EQ(entry(key::produce).max_version, 12);
    EXPECT_EQ(entry(key::txn_offset_commit).max_version, 5);
    EXPECT_EQ(entry(key::fetch).min_version, 4);
    EXPECT_EQ(entry(key::fetch).max_version, 17);
    EXPECT_EQ(entry(key::api_versions).max_version, 4);
    EXPECT_EQ(entry(key::metadata).max_version, 12);
    // KIP-896 removed DescribeLogDirs v0.
    EXPECT_EQ(entry(key::describe_log_dirs).min_version, 1);
    EXPECT_EQ(entry(key::describe_log_dirs).max_version, 4);
    // EndTxn v5 was still marked unstable in those schemas; Kafka 4.0
    // released it with KIP-890 part 2.
    EXPECT_EQ(entry(key::end_txn).max_version, 5);
}

// librdkafka 2.0.2 turns a feature on only when the broker's ranges include
// exact versions; the complete table must allow every one of them.
TEST(api_table, ranges_include_what_librdkafka_feature_detection_needs) {
    EXPECT_TRUE(covers(key::api_versions, 0));
    EXPECT_TRUE(covers(key::find_coordinator, 0)); // LZ4, group coordination
    EXPECT_TRUE(covers(key::join_group, 0));
    EXPECT_TRUE(covers(key::list_offsets, 1));
    EXPECT_TRUE(covers(key::produce, 3)); // message format v2, with Fetch v4
    EXPECT_TRUE(covers(key::fetch, 4));
    EXPECT_TRUE(covers(key::produce, 7)); // zstd, with Fetch v10
    EXPECT_TRUE(covers(key::fetch, 10));
    EXPECT_TRUE(covers(key::init_producer_id, 0)); // idempotence
    EXPECT_TRUE(covers(key::sasl_handshake, 1));
    EXPECT_TRUE(covers(key::sasl_authenticate, 0));
    EXPECT_TRUE(covers(key::produce, 0)); // KAFKA-18659
}

TEST(api_table, advertises_only_apis_with_handlers) {
    std::set<int16_t> served;
    for (const auto& e : kafka::served_apis()) {
        EXPECT_NE(e.serve, nullptr);
        served.insert(e.key);
    }
    EXPECT_EQ(served,
              (std::set<int16_t>{key::produce,
                                 key::fetch,
                                 key::list_offsets,
                                 key::metadata,
                                 key::api_versions,
                                 key::create_topics,
                                 key::delete_topics,
                                 key::describe_configs,
                                 key::create_partitions,
                                 key::offset_for_leader_epoch,
                                 key::delete_records,
                                 key::describe_cluster,
                                 key::alter_configs,
                                 key::incremental_alter_configs,
                                 key::describe_log_dirs,
                                 key::elect_leaders,
                                 key::describe_topic_partitions,
                                 key::find_coordinator,
                                 key::join_group,
                                 key::sync_group,
                                 key::heartbeat,
                                 key::leave_group,
                                 key::offset_commit,
                                 key::offset_fetch,
                                 key::describe_groups,
                                 key::list_groups,
                                 key::delete_groups,
                                 key::offset_delete,
                                 key::init_producer_id,
                                 key::describe_producers,
                                 key::add_partitions_to_txn,
                                 key::add_offsets_to_txn,
                                 key::end_txn,
                                 key::txn_offset_commit,
                                 key::describe_transactions,
                                 key::list_transactions}));
    EXPECT_NE(kafka::find_api(key::metadata), nullptr);
    EXPECT_EQ(kafka::find_api(key::create_acls), nullptr);
}

} // namespace
