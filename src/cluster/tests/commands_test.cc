#include "cluster/commands.h"
#include "cluster/partition_manager.h"

#include <gtest/gtest.h>

namespace cluster {
namespace {

topic_metadata sample() {
    topic_metadata t;
    t.name = "orders.v1";
    for (size_t i = 0; i < t.id.size(); ++i) {
        t.id[i] = static_cast<uint8_t>(i * 13);
    }
    t.partitions = 12;
    t.replication_factor = 1;
    t.configs = {{"cleanup.policy", "compact"}, {"retention.ms", "1000"}};
    for (int32_t p = 0; p < t.partitions; ++p) {
        t.replicas.push_back({model::node_id(p % 3), model::node_id((p + 1) % 3)});
    }
    return t;
}

TEST(commands, every_command_round_trips) {
    std::vector<topic_command> cmds{
        create_topic_cmd{sample()},
        delete_topic_cmd{"x"},
        create_partitions_cmd{"orders.v1", 20},
        create_partitions_cmd{
            "orders.v1", 14, {{model::node_id(4)}, {model::node_id(5)}}},
        set_topic_configs_cmd{"orders.v1", {{"a", "b"}}},
        allocate_producer_ids_cmd{int64_t{1} << 40},
        register_node_cmd{
            {model::node_id(3), {"broker3.example", 9092}, {"10.0.0.3", 33145}}},
        cluster_id_cmd{"ObiE6A4QhJXvM3o2xyauPA"}};
    for (const auto& c : cmds) {
        auto back = decode_command(encode_command(c));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, c);
    }
}

TEST(commands, truncated_or_padded_bytes_are_refused) {
    auto bytes = encode_command(create_topic_cmd{sample()}).to_vector();
    // A command written before replicas were placed ends where they begin.
    auto before_replicas = sample();
    before_replicas.replicas.clear();
    size_t legacy = encode_command(create_topic_cmd{before_replicas}).size_bytes() - 4;
    for (size_t n = 0; n < bytes.size(); ++n) {
        auto cut = base::iobuf::copy_of(std::span(bytes.data(), n));
        if (n == legacy) {
            auto back = decode_command(cut);
            ASSERT_TRUE(back);
            EXPECT_EQ(*back, topic_command(create_topic_cmd{before_replicas}));
            continue;
        }
        EXPECT_FALSE(decode_command(cut)) << n;
    }
    bytes.push_back(0);
    EXPECT_FALSE(decode_command(base::iobuf::copy_of(bytes)));
    std::vector<uint8_t> unknown{99};
    EXPECT_FALSE(decode_command(base::iobuf::copy_of(unknown)));
}

TEST(topic_table, applies_commands_idempotently_and_finds_by_name_and_id) {
    topic_table t;
    auto s = sample();
    t.apply(create_topic_cmd{s});
    t.apply(create_topic_cmd{s});
    ASSERT_NE(t.find("orders.v1"), nullptr);
    EXPECT_EQ(t.find(s.id)->name, "orders.v1");
    t.apply(create_partitions_cmd{"orders.v1", 15});
    t.apply(create_partitions_cmd{"orders.v1", 3}); // never shrinks
    EXPECT_EQ(t.find("orders.v1")->partitions, 15);
    EXPECT_EQ(t.find("orders.v1")->replicas_of(14, model::node_id(7)),
              std::vector{model::node_id(7)});
    EXPECT_EQ(t.find("orders.v1")->replicas_of(2, model::node_id(7)),
              (std::vector{model::node_id(2), model::node_id(0)}));
    t.apply(create_partitions_cmd{"orders.v1", 16, {{model::node_id(1)}}});
    EXPECT_EQ(t.find("orders.v1")->replicas_of(15, model::node_id(7)),
              std::vector{model::node_id(1)});
    t.apply(set_topic_configs_cmd{"orders.v1", {{"retention.ms", "5"}}});
    EXPECT_EQ(t.find("orders.v1")->configs.size(), 1u);
    t.apply(delete_topic_cmd{"orders.v1"});
    EXPECT_EQ(t.find("orders.v1"), nullptr);
    EXPECT_EQ(t.find(s.id), nullptr);
}

TEST(partition_manager, ownership_is_stable_and_spread) {
    std::vector<int> counts(4, 0);
    for (int p = 0; p < 400; ++p) {
        auto a = partition_manager::owner("t", p, 4);
        EXPECT_EQ(a, partition_manager::owner("t", p, 4));
        ++counts[a()];
    }
    for (int c : counts) {
        EXPECT_GT(c, 50);
    }
}

} // namespace
} // namespace cluster
