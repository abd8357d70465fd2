#include "bench/system/workload.h"

#include <gtest/gtest.h>

namespace {

TEST(workload, parses_every_key_with_comments_and_blank_lines) {
    auto w = bench::parse_workload(R"(# a comment
name: 2-throughput
topic: "t1"   # trailing comment
partitions: 16
message_size: 1024

keyed: true
producers: 2
consumers: 3
consumer_group: g
rate_mbps: 12.5
duration_s: 30
warmup_s: 5
acks: 1
linger_ms: 0
batch_size: 131072
compression: zstd
)");
    ASSERT_TRUE(w) << w.message();
    EXPECT_EQ(w->name, "2-throughput");
    EXPECT_EQ(w->topic, "t1");
    EXPECT_EQ(w->partitions, 16);
    EXPECT_EQ(w->message_size_bytes, 1024);
    EXPECT_TRUE(w->keyed);
    EXPECT_EQ(w->producers, 2);
    EXPECT_EQ(w->consumers, 3);
    EXPECT_EQ(w->consumer_group, "g");
    EXPECT_DOUBLE_EQ(w->rate_mbps, 12.5);
    EXPECT_EQ(w->duration_s, 30);
    EXPECT_EQ(w->warmup_s, 5);
    EXPECT_EQ(w->acks, "1");
    EXPECT_EQ(w->linger_ms, 0);
    EXPECT_EQ(w->batch_size_bytes, 131072);
    EXPECT_EQ(w->compression, "zstd");
}

TEST(workload, empty_file_gives_the_defaults) {
    auto w = bench::parse_workload("");
    ASSERT_TRUE(w);
    EXPECT_EQ(w->topic, "bench");
    EXPECT_EQ(w->acks, "all");
    EXPECT_EQ(w->rate_mbps, 0);
    EXPECT_TRUE(w->consumer_group.empty());
}

TEST(workload, unknown_key_is_an_error_naming_the_line) {
    auto w = bench::parse_workload("name: x\nspeed: 3\n");
    ASSERT_FALSE(w);
    EXPECT_EQ(w.code(), bench::workload_errc::unknown_key);
    EXPECT_NE(w.message().find("line 2"), std::string::npos) << w.message();
    EXPECT_NE(w.message().find("speed"), std::string::npos) << w.message();
}

TEST(workload, bad_values_are_errors) {
    for (const char* text :
         {"partitions: 0", "partitions: 16x", "message_size: 4", "keyed: yes", "acks: 2",
          "compression: brotli", "rate_mbps: -1", "rate_mbps: fast", "duration_s: 1.5",
          "producers: 0", "name:"}) {
        auto w = bench::parse_workload(text);
        ASSERT_FALSE(w) << text;
        EXPECT_EQ(w.code(), bench::workload_errc::bad_value) << text;
    }
}

TEST(workload, lines_without_colon_and_duplicate_keys_are_errors) {
    auto no_colon = bench::parse_workload("partitions 4\n");
    ASSERT_FALSE(no_colon);
    EXPECT_EQ(no_colon.code(), bench::workload_errc::syntax);
    auto twice = bench::parse_workload("partitions: 4\npartitions: 8\n");
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.code(), bench::workload_errc::duplicate_key);
}

TEST(workload, overrides_go_through_the_same_checks) {
    bench::workload w;
    ASSERT_TRUE(bench::set_workload_key(w, "rate_mbps", "10"));
    EXPECT_DOUBLE_EQ(w.rate_mbps, 10);
    EXPECT_FALSE(bench::set_workload_key(w, "duration_s", "0"));
    EXPECT_FALSE(bench::set_workload_key(w, "nope", "1"));
}

} // namespace
