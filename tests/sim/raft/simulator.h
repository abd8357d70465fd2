#pragma once

#include "raft/consensus.h"

#include <cstdint>
#include <optional>
#include <string>

// A seeded simulation of 3-5 nodes' Raft cores over a simulated network
// and disk, with faults, checking Raft's safety properties after every
// event and its liveness once the faults stop. The same seed replays the
// same run, event for event.

namespace raft::sim {

struct run_options {
    uint64_t seed{1};
    // Milliseconds of faults, then of a healed, quiet cluster.
    int64_t fault_ms{3000};
    int64_t settle_ms{3000};
    // Whether a leader must commit once the faults stop (off when proving
    // the safety checks catch a broken core: only they count then).
    bool check_liveness{true};
    // A deliberately broken core, to prove the checks can fail.
    bool bug_commit_without_majority{false};
    bool bug_vote_twice{false};
};

struct run_result {
    // Empty when every check held; else what broke, and when.
    std::string violation;
    int nodes{0};
    int64_t events{0};
    int64_t committed{0};
    int64_t elections{0};
    int64_t config_changes{0};
};

run_result run(const run_options& opts);

} // namespace raft::sim
