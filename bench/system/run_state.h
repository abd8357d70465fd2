#pragma once

#include "bench/system/workload.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

namespace bench {

// Nanoseconds on the steady clock. Producers write it at the head of every
// message value and consumers (in the same process) subtract it.
inline int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// What the producer and consumer threads of one run share. The window is
// unknown until the consumers are ready; until then nothing falls in it.
struct run_state {
    run_state(workload w_, std::string bootstrap_)
      : w(std::move(w_))
      , bootstrap(std::move(bootstrap_)) {}

    bool in_window(int64_t t_ns) const {
        return t_ns >= window_start_ns.load(std::memory_order_relaxed)
            && t_ns < window_end_ns.load(std::memory_order_relaxed);
    }

    const workload w;
    const std::string bootstrap;
    std::atomic<int64_t> window_start_ns{std::numeric_limits<int64_t>::max()};
    std::atomic<int64_t> window_end_ns{std::numeric_limits<int64_t>::max()};
    // Partitions the consumers have been given (assigned or by the group).
    std::atomic<int32_t> partitions_assigned{0};
    // Messages sent inside the window that a consumer has received.
    std::atomic<uint64_t> window_sent_received{0};
    std::atomic<bool> stop_consumers{false};
};

} // namespace bench
