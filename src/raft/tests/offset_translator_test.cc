#include "raft/offset_translator.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using raft::log_index;
using raft::offset_translator;

TEST(offset_translator, a_log_without_raft_entries_translates_to_itself) {
    offset_translator t;
    EXPECT_EQ(t.to_kafka(log_index(0)), 0);
    EXPECT_EQ(t.to_kafka(log_index(41)), 41);
    EXPECT_EQ(t.to_raw(41), log_index(41));
}

TEST(offset_translator, raft_entries_are_skipped_both_ways) {
    // raw: 0 gap | 1 2 3 data | 4 5 gaps | 6 data | end 7
    offset_translator t;
    t.add_gap(log_index(0));
    t.add_gap(log_index(4));
    t.add_gap(log_index(5));
    EXPECT_EQ(t.to_kafka(log_index(1)), 0);
    EXPECT_EQ(t.to_kafka(log_index(3)), 2);
    EXPECT_EQ(t.to_kafka(log_index(6)), 3);
    // A log ending in Raft's entries leaves no consumer short: the Kafka
    // end after raw 4-5 is the one after the last record.
    EXPECT_EQ(t.to_kafka(log_index(4)), 3);
    EXPECT_EQ(t.to_kafka(log_index(6)), 3);
    EXPECT_EQ(t.to_kafka(log_index(7)), 4);
    EXPECT_EQ(t.to_raw(0), log_index(1));
    EXPECT_EQ(t.to_raw(2), log_index(3));
    EXPECT_EQ(t.to_raw(3), log_index(6));
    EXPECT_EQ(t.to_raw(4), log_index(7));
    t.truncate(log_index(5));
    EXPECT_EQ(t.gaps_before(log_index(100)), 2);
    t.truncate(log_index(1));
    EXPECT_EQ(t.gaps_before(log_index(100)), 1);
}

// Against a plain list of every raw offset's kind, over random logs.
TEST(offset_translator, matches_a_naive_model_over_random_logs) {
    std::mt19937_64 rng(20261205);
    for (int round = 0; round < 200; ++round) {
        offset_translator t;
        std::vector<bool> is_gap;
        for (int i = 0; i < 300; ++i) {
            auto roll = rng() % 10;
            if (roll == 0 && !is_gap.empty()) {
                auto cut = static_cast<size_t>(rng() % is_gap.size());
                is_gap.resize(cut);
                t.truncate(log_index(static_cast<int64_t>(cut)));
            } else if (roll < 3) {
                t.add_gap(log_index(static_cast<int64_t>(is_gap.size())));
                is_gap.push_back(true);
            } else {
                auto records = 1 + rng() % 4;
                is_gap.insert(is_gap.end(), records, false);
            }
        }
        int64_t kafka = 0;
        for (size_t raw = 0; raw < is_gap.size(); ++raw) {
            if (is_gap[raw]) {
                continue;
            }
            ASSERT_EQ(t.to_kafka(log_index(static_cast<int64_t>(raw))), kafka);
            ASSERT_EQ(t.to_raw(kafka), log_index(static_cast<int64_t>(raw)));
            ++kafka;
        }
        ASSERT_EQ(t.to_kafka(log_index(static_cast<int64_t>(is_gap.size()))), kafka);
    }
}
