#pragma once

#include "bench/system/histogram.h"
#include "bench/system/run_state.h"

#include <cstdint>
#include <string>

namespace bench {

struct producer_stats {
    histogram publish_latency_us;  // messages sent inside the window
    uint64_t window_sent_acked{0}; // messages sent inside the window, delivered
    uint64_t window_msgs{0};       // delivery reports inside the window
    uint64_t window_bytes{0};
    uint64_t errors{0};      // failed deliveries and refused produce calls
    std::string setup_error; // non-empty: the producer never ran
};

// One producer (its own client) sending until the window ends, paced to its
// share of rate_mbps or unthrottled, then waiting (bounded) for every
// delivery report.
void run_producer(int index, const run_state& state, producer_stats& out);

} // namespace bench
