#pragma once

#include "bench/system/histogram.h"

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

struct broker_figures {
    double cpu_s{0};
    uint64_t peak_rss_bytes{0};
};

// What one run measured over its window (warm-up excluded). Rates count
// events inside the window (delivery reports, receipts); latencies cover
// messages sent inside it.
struct run_report {
    std::string workload;
    std::string target; // "mock" or the bootstrap address
    double duration_s{0};
    uint64_t published_msgs{0};
    uint64_t published_bytes{0};
    uint64_t consumed_msgs{0};
    uint64_t consumed_bytes{0};
    histogram publish_latency_us;
    histogram e2e_latency_us;
    uint64_t errors{0};
    std::optional<broker_figures> broker;
};

// MB is 1e6 bytes, GB 1e9.
double publish_msgs_per_s(const run_report& r);
double publish_mb_per_s(const run_report& r);
double consume_msgs_per_s(const run_report& r);
double consume_mb_per_s(const run_report& r);
// Broker CPU seconds per GB published; nullopt without broker figures or
// with nothing published.
std::optional<double> cpu_s_per_gb(const run_report& r);

// A few lines for people.
std::string format_summary(const run_report& r);
// One JSON object with the keys documented in atoll-bench --help; latency
// percentiles of an empty histogram and broker figures without a pid are
// null.
std::string format_json(const run_report& r);

} // namespace bench
