#pragma once

#include "bench/system/histogram.h"
#include "bench/system/run_state.h"

#include <cstdint>
#include <string>

namespace bench {

struct consumer_stats {
    histogram e2e_latency_us; // messages sent inside the window
    uint64_t window_msgs{0};  // messages received inside the window
    uint64_t window_bytes{0};
    uint64_t errors{0};
    std::string setup_error; // non-empty: the consumer never ran
};

// One consumer (its own client) reading from the end of its partitions until
// state.stop_consumers. Without a consumer group, consumer `index` of
// `consumers` is assigned partitions index, index + consumers, ...; with
// one, it subscribes and the group assigns them.
void run_consumer(int index, run_state& state, consumer_stats& out);

} // namespace bench
