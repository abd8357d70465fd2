// Runs the Raft simulation over a range of seeds.
//
//   raft_sim [--first S] [--seeds N] [--broken commit|votes]
//
// Every seed must pass Raft's safety and liveness checks; a failing seed is
// printed with the command that replays it exactly. With --broken the cores
// carry a deliberate bug (commit without a majority; vote for two
// candidates in one term), and the run passes only if the checks catch it within the seeds.

#include "tests/sim/raft/simulator.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

struct arguments {
    uint64_t first{1};
    uint64_t seeds{1000};
    std::string_view broken;
};

bool parse(int argc, char** argv, arguments& out) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        bool has_value = i + 1 < argc;
        if (a == "--first" && has_value) {
            out.first = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--seeds" && has_value) {
            out.seeds = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--broken" && has_value) {
            out.broken = argv[++i];
        } else {
            return false;
        }
    }
    return out.seeds > 0
        && (out.broken.empty() || out.broken == "commit" || out.broken == "votes");
}

} // namespace

int main(int argc, char** argv) {
    arguments args;
    if (!parse(argc, argv, args)) {
        fmt::print(stderr,
                   "usage: raft_sim [--first SEED] [--seeds COUNT] "
                   "[--broken commit|votes]\n");
        return 2;
    }
    auto started = std::chrono::steady_clock::now();
    int64_t events = 0;
    int64_t elections = 0;
    int64_t committed = 0;
    int64_t changes = 0;
    for (uint64_t seed = args.first; seed < args.first + args.seeds; ++seed) {
        raft::sim::run_options opts;
        opts.seed = seed;
        opts.bug_commit_without_majority = args.broken == "commit";
        opts.bug_vote_twice = args.broken == "votes";
        opts.check_liveness = args.broken.empty();
        auto r = raft::sim::run(opts);
        events += r.events;
        elections += r.elections;
        committed += r.committed;
        changes += r.config_changes;
        if (!r.violation.empty()) {
            if (!args.broken.empty()) {
                fmt::print("the broken core was caught at seed {} ({} nodes): {}\n", seed,
                           r.nodes, r.violation);
                return 0;
            }
            fmt::print("seed {} failed ({} nodes): {}\nreplay: raft_sim --first {} "
                       "--seeds 1\n",
                       seed, r.nodes, r.violation, seed);
            return 1;
        }
    }
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!args.broken.empty()) {
        fmt::print("the broken core passed {} seeds: the checks are too weak\n",
                   args.seeds);
        return 1;
    }
    fmt::print("{} seeds from {} passed in {:.1f} s: {} events, {} elections, {} "
               "configuration changes, {} entries committed\n",
               args.seeds, args.first, seconds, events, elections, changes, committed);
    return 0;
}
