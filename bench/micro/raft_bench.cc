// What idle Raft groups cost: three nodes in one process, each with a core
// for every group, leaders spread over them; one iteration is one tick of
// every core on every node plus the exchange of everything it produced
// (heartbeats and their replies, batched per peer by raft::outbox). With
// ticks every 10 ms, a tick's time over 10 ms is the share of a core the
// three nodes' groups take together.

#include "raft/consensus.h"
#include "raft/outbox.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

namespace {

using namespace raft;

constexpr int nodes = 3;

struct member {
    std::unique_ptr<consensus> core;
    std::vector<entry> log;
};

class cluster {
public:
    explicit cluster(int64_t groups) {
        configuration config;
        for (int n = 0; n < nodes; ++n) {
            config.voters.emplace_back(n);
        }
        for (int n = 0; n < nodes; ++n) {
            _boxes.emplace_back(node_id(n));
            auto& row = _members.emplace_back();
            for (int64_t g = 0; g < groups; ++g) {
                options o;
                o.seed = static_cast<uint64_t>(g * nodes + n + 1);
                durable_state s;
                s.config = config;
                row.push_back(member{std::make_unique<consensus>(node_id(n), s, o), {}});
            }
        }
    }

    // Every core ticks once; then messages flow until none is left.
    void tick() {
        for (int n = 0; n < nodes; ++n) {
            for (size_t g = 0; g < _members[static_cast<size_t>(n)].size(); ++g) {
                at(n, g).core->tick();
                drain(n, g);
            }
        }
        exchange();
    }

    bool all_led() const {
        for (size_t g = 0; g < _members[0].size(); ++g) {
            bool led = false;
            for (int n = 0; n < nodes; ++n) {
                led = led
                    || _members[static_cast<size_t>(n)][g].core->current_role()
                        == role::leader;
            }
            if (!led) {
                return false;
            }
        }
        return true;
    }

    int64_t messages{0};
    int64_t batches{0};

private:
    member& at(int n, size_t g) { return _members[static_cast<size_t>(n)][g]; }

    void drain(int n, size_t g) {
        auto& m = at(n, g);
        for (auto effects = m.core->take_effects(); !effects.empty();
             effects = m.core->take_effects()) {
            for (auto& e : effects) {
                if (auto* s = std::get_if<send_message>(&e)) {
                    _boxes[static_cast<size_t>(n)].post(group_id(static_cast<int64_t>(g)),
                                                        std::move(s->out));
                } else if (auto* p = std::get_if<persist>(&e)) {
                    if (p->truncate_from) {
                        m.log.resize(static_cast<size_t>((*p->truncate_from)()));
                    }
                    for (auto& x : p->entries) {
                        m.log.push_back(std::move(x));
                    }
                    m.core->persisted(p->id);
                } else if (auto* r = std::get_if<read_entries>(&e)) {
                    std::vector<entry> out;
                    for (auto i = r->from(); i <= r->to(); ++i) {
                        out.push_back(m.log[static_cast<size_t>(i)].share());
                    }
                    m.core->read_done(r->token, r->from, std::move(out));
                }
            }
        }
    }

    void exchange() {
        for (bool moved = true; moved;) {
            moved = false;
            for (int n = 0; n < nodes; ++n) {
                for (auto& b : _boxes[static_cast<size_t>(n)].flush()) {
                    moved = true;
                    ++batches;
                    for (auto& gm : b.messages) {
                        ++messages;
                        auto g = static_cast<size_t>(gm.group());
                        at(b.to(), g).core->receive(
                            envelope{b.from, b.to, std::move(gm.msg)});
                        drain(b.to(), g);
                    }
                }
            }
        }
    }

    std::vector<std::vector<member>> _members;
    std::vector<outbox> _boxes;
};

void idle_groups_tick(benchmark::State& state) {
    cluster c(state.range(0));
    for (int i = 0; i < 200 && !c.all_led(); ++i) {
        c.tick();
    }
    if (!c.all_led()) {
        state.SkipWithError("not every group elected a leader");
        return;
    }
    c.messages = 0;
    c.batches = 0;
    for (auto _ : state) {
        c.tick();
    }
    auto ticks = static_cast<double>(state.iterations());
    state.counters["messages_per_tick"] = static_cast<double>(c.messages) / ticks;
    state.counters["batches_per_tick"] = static_cast<double>(c.batches) / ticks;
}
BENCHMARK(idle_groups_tick)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
