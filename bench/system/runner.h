#pragma once

#include "base/result.h"
#include "bench/system/report.h"
#include "bench/system/workload.h"

#include <sys/types.h>

#include <optional>
#include <string>

namespace bench {

struct run_target {
    bool mock{false};
    std::string bootstrap; // ignored with mock
};

enum class run_errc { setup, client };
using run_result = base::result<run_report, run_errc>;

// Seconds a run may take beyond warm-up and duration (setup, drain, close)
// before it counts as hung.
inline constexpr int run_overhead_max_s = 120;

// Runs a workload: topic, consumers (ready before anything is sent), then
// producers over warm-up + duration, then a bounded drain. With a broker
// pid, its CPU time and memory are read over the measured window.
run_result run_workload(const workload& w, const run_target& target,
                        std::optional<pid_t> broker_pid);

} // namespace bench
