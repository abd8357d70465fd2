#include "bench/system/broker_probe.h"
#include "bench/system/report.h"

#include <gtest/gtest.h>

namespace {

bench::run_report sample_report() {
    bench::run_report r;
    r.workload = "smoke";
    r.target = "mock";
    r.duration_s = 2;
    r.published_msgs = 1000;
    r.published_bytes = 2'000'000'000;
    r.consumed_msgs = 500;
    r.consumed_bytes = 1'000'000;
    r.publish_latency_us.record(1500);
    return r;
}

TEST(report, rates_use_the_measured_duration_and_decimal_megabytes) {
    auto r = sample_report();
    EXPECT_DOUBLE_EQ(bench::publish_msgs_per_s(r), 500);
    EXPECT_DOUBLE_EQ(bench::publish_mb_per_s(r), 1000);
    EXPECT_DOUBLE_EQ(bench::consume_mb_per_s(r), 0.5);
    EXPECT_FALSE(bench::cpu_s_per_gb(r));
    r.broker = bench::broker_figures{3.0, 1 << 20};
    EXPECT_DOUBLE_EQ(*bench::cpu_s_per_gb(r), 1.5);
}

TEST(report, json_has_every_key_and_nulls_for_missing_figures) {
    const auto json = bench::format_json(sample_report());
    for (const char* key :
         {"\"workload\": \"smoke\"", "\"target\": \"mock\"", "\"duration_s\": 2",
          "\"publish_msgs_per_s\": 500", "\"publish_mb_per_s\": 1000",
          "\"consume_msgs_per_s\": 250", "\"consume_mb_per_s\": 0.5",
          "\"publish_latency_ms\": {\"p50\": 1.5", "\"e2e_latency_ms\": {\"p50\": null",
          "\"errors\": 0", "\"broker_cpu_s\": null", "\"broker_peak_rss_bytes\": null",
          "\"cpu_s_per_gb\": null"}) {
        EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
    }
}

TEST(broker_probe, parses_cpu_ticks_after_a_command_with_spaces) {
    const std::string stat =
        "42 (atoll d) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 1 1";
    EXPECT_DOUBLE_EQ(*bench::parse_proc_stat_cpu_s(stat, 100), 3.0);
    EXPECT_FALSE(bench::parse_proc_stat_cpu_s("garbage", 100));
}

TEST(broker_probe, parses_status_fields_in_kilobytes) {
    const std::string status = "Name:\tatolld\nVmHWM:\t  20480 kB\nVmRSS:\t  10240 kB\n";
    EXPECT_EQ(*bench::parse_proc_status_kb(status, "VmHWM"), 20480u);
    EXPECT_EQ(*bench::parse_proc_status_kb(status, "VmRSS"), 10240u);
    EXPECT_FALSE(bench::parse_proc_status_kb(status, "VmSwap"));
}

TEST(broker_probe, reads_this_process) {
    const auto s = bench::read_proc_sample(getpid());
    ASSERT_TRUE(s);
    EXPECT_GT(s->rss_bytes, 0u);
    EXPECT_GE(s->rss_hwm_bytes, s->rss_bytes);
}

} // namespace
