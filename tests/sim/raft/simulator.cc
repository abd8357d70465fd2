#include "tests/sim/raft/simulator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

namespace raft::sim {
namespace {

constexpr int64_t tick_ms = 10;
constexpr int64_t check_logs_every_events = 64;

class random_source {
public:
    explicit random_source(uint64_t seed)
      : _state(seed) {}
    uint64_t next() {
        _state += 0x9E3779B97F4A7C15ULL;
        uint64_t z = _state;
        z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31U);
    }
    // Uniform in [lo, hi].
    int64_t between(int64_t lo, int64_t hi) {
        return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
    }
    bool chance(double p) { return static_cast<double>(next() % 1000000) < p * 1e6; }

private:
    uint64_t _state;
};

enum class event_kind { tick, deliver, flush, read_done, propose, fault, heal, restart };

struct event {
    event_kind kind;
    int node{-1};
    int incarnation{0};
    std::optional<envelope> message;
    uint64_t token{0};
    int64_t first{0};
    std::vector<entry> entries;
};

// A log of entries by offset, as a driver keeps it.
class sim_log {
public:
    size_t size() const { return _entries.size(); }
    const entry& at(size_t k) const { return _entries[k]; }
    int64_t start(size_t k) const { return _starts[k]; }
    // The offset after the last entry.
    int64_t end() const {
        return _entries.empty() ? 0 : _starts.back() + _entries.back().offsets;
    }
    void append(entry e) {
        _starts.push_back(end());
        _entries.push_back(std::move(e));
    }
    // The entry starting at `offset`, if one does.
    std::optional<size_t> find(int64_t offset) const {
        auto it = std::lower_bound(_starts.begin(), _starts.end(), offset);
        if (it == _starts.end() || *it != offset) {
            return std::nullopt;
        }
        return static_cast<size_t>(it - _starts.begin());
    }
    // Drops the entries from `offset` on: false unless an entry starts there
    // (or it is the end).
    bool truncate(int64_t offset) {
        if (offset == end()) {
            return true;
        }
        auto k = find(offset);
        if (!k) {
            return false;
        }
        _entries.resize(*k);
        _starts.resize(*k);
        return true;
    }
    // The entry holding `offset`, if the log reaches it.
    std::optional<size_t> holding(int64_t offset) const {
        if (offset < 0 || offset >= end()) {
            return std::nullopt;
        }
        auto k =
            std::upper_bound(_starts.begin(), _starts.end(), offset) - _starts.begin();
        return static_cast<size_t>(k - 1);
    }
    // How many entries end at or before `offset`.
    size_t count_through(int64_t offset) const {
        auto k = static_cast<size_t>(
            std::upper_bound(_starts.begin(), _starts.end(), offset) - _starts.begin());
        if (k > 0 && _starts[k - 1] + _entries[k - 1].offsets - 1 > offset) {
            --k;
        }
        return k;
    }
    sim_log copy() const {
        sim_log out;
        for (const auto& e : _entries) {
            out.append(e.share());
        }
        return out;
    }

private:
    std::vector<entry> _entries;
    std::vector<int64_t> _starts;
};

// Carries out a write; false when it truncates inside an entry.
bool apply_write(sim_log& log, const persist& p) {
    if (p.truncate_from && !log.truncate((*p.truncate_from)())) {
        return false;
    }
    for (const auto& e : p.entries) {
        log.append(e.share());
    }
    return true;
}

std::string describe(const entry& e) {
    return fmt::format("(term {}, {} bytes)", e.term, e.data.size_bytes());
}

struct sim_node {
    node_id id;
    std::unique_ptr<consensus> core;
    bool up{true};
    int incarnation{0};
    // On disk: survives a crash.
    term_id term{0};
    node_id voted_for{no_node};
    sim_log disk;
    // In memory: the log as the core sees it, and the writes not yet
    // flushed (lost by a crash).
    sim_log view;
    std::deque<persist> pending;
    bool flush_scheduled{false};
    bool slow_disk{false};
    log_index commit_seen{no_index};
};

class simulation {
public:
    explicit simulation(const run_options& opts)
      : _opts(opts)
      , _rng(opts.seed) {
        int n = _rng.chance(0.5) ? 3 : 5;
        // Five nodes start with three voters half the time: the others
        // join through configuration changes.
        int voters = n == 5 && _rng.chance(0.5) ? 3 : n;
        for (int i = 0; i < voters; ++i) {
            _initial.voters.push_back(node_id(i));
        }
        for (int i = 0; i < n; ++i) {
            auto& node = _nodes.emplace_back();
            node.id = node_id(i);
            start_node(i);
        }
        schedule(_rng.between(50, 200), event{event_kind::fault});
        schedule(_opts.fault_ms, event{event_kind::heal});
        schedule(_rng.between(1, 15), event{event_kind::propose});
    }

    run_result run() {
        int64_t end = _opts.fault_ms + _opts.settle_ms;
        while (!_queue.empty() && _violation.empty()) {
            auto first = _queue.begin();
            if (first->first.first > end) {
                break;
            }
            _now = first->first.first;
            auto ev = std::move(first->second);
            _queue.erase(first);
            handle(std::move(ev));
            ++_result.events;
            if (_violation.empty()) {
                check_leaders();
            }
            if (_violation.empty() && _result.events % check_logs_every_events == 0) {
                check_log_matching();
            }
        }
        if (_violation.empty()) {
            check_log_matching();
        }
        if (_violation.empty() && _opts.check_liveness && !_marker_committed) {
            fail(fmt::format("no leader committed an entry within {} ms of the faults "
                             "stopping{}",
                             _opts.settle_ms, states()));
        }
        _result.violation = _violation;
        _result.nodes = static_cast<int>(_nodes.size());
        _result.committed = static_cast<int64_t>(_committed.size());
        return _result;
    }

private:
    options core_options(int i) const {
        options o;
        o.seed = _opts.seed * 31 + static_cast<uint64_t>(i);
        o.bug_commit_without_majority = _opts.bug_commit_without_majority;
        o.bug_vote_twice = _opts.bug_vote_twice;
        return o;
    }

    void start_node(int i) {
        auto& node = _nodes[static_cast<size_t>(i)];
        durable_state state{node.term, node.voted_for, {}, _initial, {}};
        for (size_t k = 0; k < node.disk.size(); ++k) {
            const auto& e = node.disk.at(k);
            state.log.append(e.term, e.offsets);
            if (e.type == entry_type::configuration) {
                state.log_configs.emplace_back(log_index(node.disk.start(k)),
                                               *decode_configuration(e.data));
            }
        }
        node.core =
            std::make_unique<consensus>(node.id, std::move(state), core_options(i));
        node.view = node.disk.copy();
        node.pending.clear();
        node.flush_scheduled = false;
        node.commit_seen = no_index;
        node.up = true;
        ++node.incarnation;
        schedule(_rng.between(1, tick_ms), event{event_kind::tick, i, node.incarnation});
    }

    void schedule(int64_t after_ms, event ev) {
        _queue.emplace(std::make_pair(_now + after_ms, _seq++), std::move(ev));
    }

    void fail(std::string what) {
        if (_violation.empty()) {
            _violation = fmt::format("t={} ms: {}", _now, what);
        }
    }

    sim_node* live(int i, int incarnation) {
        auto& node = _nodes[static_cast<size_t>(i)];
        return node.up && node.incarnation == incarnation ? &node : nullptr;
    }

    void handle(event ev) {
        switch (ev.kind) {
            case event_kind::tick:
                if (auto* node = live(ev.node, ev.incarnation)) {
                    node->core->tick();
                    drain(ev.node);
                    schedule(tick_ms, event{event_kind::tick, ev.node, ev.incarnation});
                }
                break;
            case event_kind::deliver: {
                auto& node = _nodes[static_cast<size_t>(ev.node)];
                if (node.up) {
                    node.core->receive(*ev.message);
                    drain(ev.node);
                }
                break;
            }
            case event_kind::flush:
                flush(ev.node, ev.incarnation);
                break;
            case event_kind::read_done:
                if (auto* node = live(ev.node, ev.incarnation)) {
                    node->core->read_done(ev.token, log_index(ev.first),
                                          std::move(ev.entries));
                    drain(ev.node);
                }
                break;
            case event_kind::propose:
                propose();
                break;
            case event_kind::fault:
                inject_fault();
                break;
            case event_kind::heal:
                heal();
                break;
            case event_kind::restart:
                if (!_nodes[static_cast<size_t>(ev.node)].up && !_healed) {
                    start_node(ev.node);
                }
                break;
        }
    }

    // --- the driver: carrying out a core's effects ---------------------------

    void drain(int i) {
        auto& node = _nodes[static_cast<size_t>(i)];
        for (auto& eff : node.core->take_effects()) {
            std::visit([&](auto& e) { carry_out(i, node, e); }, eff);
        }
        if (node.core->last_index()() + 1 != node.view.end()) {
            fail(fmt::format("node {}: the core's log ends at {}, the driver's at {}", i,
                             node.core->last_index(), node.view.end() - 1));
        }
    }

    void carry_out(int, sim_node&, send_message& s) {
        auto from = s.out.from();
        auto to = s.out.to();
        if (_blocked.contains({from, to}) || _rng.chance(_drop)) {
            return;
        }
        int copies = _rng.chance(_duplicate) ? 2 : 1;
        for (int c = 0; c < copies; ++c) {
            event ev{event_kind::deliver, to};
            ev.message = copy(s.out);
            schedule(_rng.between(1, _max_delay_ms), std::move(ev));
        }
    }

    void carry_out(int, sim_node& node, save_state& s) {
        // A small synchronous write (the node's key-value store).
        node.term = s.term;
        node.voted_for = s.voted_for;
    }

    void carry_out(int i, sim_node& node, persist& p) {
        if (!apply_write(node.view, p)) {
            fail(fmt::format("node {}: a write truncates at {}, inside an entry", i,
                             *p.truncate_from));
            return;
        }
        node.pending.push_back(std::move(p));
        if (!node.flush_scheduled) {
            node.flush_scheduled = true;
            auto latency = node.slow_disk ? _rng.between(30, 120) : _rng.between(1, 5);
            schedule(latency, event{event_kind::flush, i, node.incarnation});
        }
    }

    void carry_out(int i, sim_node& node, read_entries& r) {
        event ev{event_kind::read_done, i, node.incarnation};
        ev.token = r.token;
        auto k = node.view.holding(r.from());
        if (!k) {
            fail(fmt::format("node {}: a read from {}, past its log", i, r.from));
            return;
        }
        ev.first = node.view.start(*k);
        for (; *k < node.view.size()
             && ev.entries.size() < static_cast<size_t>(r.max_entries)
             && node.view.start(*k) + node.view.at(*k).offsets - 1 <= r.to();
             ++*k) {
            ev.entries.push_back(node.view.at(*k).share());
        }
        schedule(_rng.between(0, 1), std::move(ev));
    }

    void carry_out(int i, sim_node& node, committed& c) {
        if (c.commit < node.commit_seen) {
            fail(fmt::format("node {}: high watermark went back from {} to {}", i,
                             node.commit_seen, c.commit));
            return;
        }
        auto from = node.view.count_through(node.commit_seen());
        node.commit_seen = c.commit;
        auto upto = node.view.count_through(c.commit());
        if (upto == 0
            || node.view.start(upto - 1) + node.view.at(upto - 1).offsets - 1
                != c.commit()) {
            fail(fmt::format("node {}: commit {} is not the end of an entry of its log "
                             "(which ends at {})",
                             i, c.commit, node.view.end() - 1));
            return;
        }
        for (size_t at = from; at < upto; ++at) {
            const auto& e = node.view.at(at);
            if (at < _committed.size()) {
                if (!(_committed[at] == e)) {
                    fail(fmt::format("node {}: committed entry {} is {} here, {} before",
                                     i, at, describe(e), describe(_committed[at])));
                    return;
                }
                continue;
            }
            _committed.push_back(e.share());
            if (e.data.to_string() == marker) {
                _marker_committed = true;
            }
        }
    }

    static envelope copy(const envelope& in) {
        return std::visit(
            [&](const auto& m) -> envelope {
                using T = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<T, append_request>) {
                    return envelope{in.from, in.to,
                                    append_request{m.term, m.prev_index, m.prev_term,
                                                   share_all(m.entries), m.commit}};
                } else {
                    return envelope{in.from, in.to, m};
                }
            },
            in.msg);
    }

    void flush(int i, int incarnation) {
        auto* node = live(i, incarnation);
        if (node == nullptr || node->pending.empty()) {
            return;
        }
        uint64_t last = node->pending.back().id;
        for (const auto& p : node->pending) {
            apply_write(node->disk, p); // applied to the view already, so it fits
        }
        node->pending.clear();
        node->flush_scheduled = false;
        node->core->persisted(last);
        drain(i);
    }

    // --- the world: clients and faults ------------------------------------------

    void propose() {
        bool settled = _healed && _now >= _opts.fault_ms + _opts.settle_ms / 2;
        std::vector<int> leaders;
        for (size_t i = 0; i < _nodes.size(); ++i) {
            if (_nodes[i].up && _nodes[i].core->current_role() == role::leader) {
                leaders.push_back(static_cast<int>(i));
            }
        }
        if (!leaders.empty()) {
            auto i = leaders[static_cast<size_t>(
                _rng.between(0, static_cast<int64_t>(leaders.size()) - 1))];
            auto payload =
                settled ? std::string(marker) : fmt::format("p{}", _proposals++);
            // A batch of one to four records: an entry of as many offsets.
            auto offsets = static_cast<int32_t>(_rng.between(1, 4));
            _nodes[static_cast<size_t>(i)].core->propose(base::iobuf::copy_of(payload),
                                                         offsets);
            drain(i);
            if (!settled && _rng.chance(0.03)) {
                change_members(i);
            }
            if (_rng.chance(0.02)) {
                auto target = _rng.between(0, static_cast<int64_t>(_nodes.size()) - 1);
                _nodes[static_cast<size_t>(i)].core->transfer_leadership(
                    node_id(static_cast<int32_t>(target)));
                drain(i);
            }
        }
        schedule(_rng.between(1, 15), event{event_kind::propose});
    }

    // One step of a membership change, as an operator would: a node joins
    // as a learner, a learner becomes a voter, a voter or learner leaves.
    void change_members(int leader) {
        auto& core = *_nodes[static_cast<size_t>(leader)].core;
        auto next = core.config();
        auto pick = [&](std::vector<node_id>& from) {
            auto at = _rng.between(0, static_cast<int64_t>(from.size()) - 1);
            auto n = from[static_cast<size_t>(at)];
            from.erase(from.begin() + at);
            return n;
        };
        std::vector<node_id> outside;
        for (const auto& node : _nodes) {
            if (!next.is_member(node.id)) {
                outside.push_back(node.id);
            }
        }
        auto choice = _rng.between(0, 3);
        if (choice == 0 && !outside.empty()) {
            next.learners.push_back(pick(outside));
        } else if (choice == 1 && !next.learners.empty()) {
            next.voters.push_back(pick(next.learners));
        } else if (choice == 2 && next.voters.size() > 1) {
            pick(next.voters);
        } else if (choice == 3 && !next.learners.empty()) {
            pick(next.learners);
        } else {
            return;
        }
        if (core.propose_configuration(next)) {
            ++_result.config_changes;
        }
        drain(leader);
    }

    void inject_fault() {
        if (_healed) {
            return;
        }
        auto n = static_cast<int64_t>(_nodes.size());
        switch (_rng.between(0, 5)) {
            case 0: { // a partition, both ways or one way
                _blocked.clear();
                std::vector<bool> side(_nodes.size());
                for (auto&& s : side) {
                    s = _rng.chance(0.5);
                }
                bool one_way = _rng.chance(0.3);
                for (int32_t a = 0; a < n; ++a) {
                    for (int32_t b = 0; b < n; ++b) {
                        if (side[static_cast<size_t>(a)] != side[static_cast<size_t>(b)]
                            && (!one_way || side[static_cast<size_t>(a)])) {
                            _blocked.insert({a, b});
                        }
                    }
                }
                break;
            }
            case 1:
                _blocked.clear();
                break;
            case 2: { // a crash: what was not flushed is lost
                auto i = static_cast<int>(_rng.between(0, n - 1));
                auto& node = _nodes[static_cast<size_t>(i)];
                if (node.up) {
                    node.up = false;
                    node.core.reset();
                    node.pending.clear();
                    schedule(_rng.between(100, 1000), event{event_kind::restart, i});
                }
                break;
            }
            case 3:
                _drop = static_cast<double>(_rng.between(0, 20)) / 100.0;
                _duplicate = static_cast<double>(_rng.between(0, 5)) / 100.0;
                break;
            case 4:
                _max_delay_ms = _rng.between(1, 30);
                break;
            default: {
                auto& node = _nodes[static_cast<size_t>(_rng.between(0, n - 1))];
                node.slow_disk = !node.slow_disk;
                break;
            }
        }
        schedule(_rng.between(100, 400), event{event_kind::fault});
    }

    void heal() {
        _healed = true;
        _blocked.clear();
        _drop = 0;
        _duplicate = 0;
        _max_delay_ms = 10;
        for (size_t i = 0; i < _nodes.size(); ++i) {
            _nodes[i].slow_disk = false;
            if (!_nodes[i].up) {
                start_node(static_cast<int>(i));
            }
        }
    }

    // Each node's view of the group, for a failure's report.
    std::string states() const {
        std::string out;
        for (const auto& node : _nodes) {
            if (!node.up) {
                out += fmt::format("\n  node {}: down", node.id);
                continue;
            }
            const auto& c = *node.core;
            out += fmt::format("\n  node {}: role {} term {} leader {} last {} commit {} "
                               "voters [{}] learners [{}]",
                               node.id, static_cast<int>(c.current_role()), c.term(),
                               c.leader(), c.last_index(), c.commit_index(),
                               fmt::join(c.config().voters, ","),
                               fmt::join(c.config().learners, ","));
        }
        return out;
    }

    // --- the checks ----------------------------------------------------------------

    // At most one leader per term, and a new leader has every committed entry.
    void check_leaders() {
        for (size_t i = 0; i < _nodes.size(); ++i) {
            const auto& node = _nodes[i];
            if (!node.up || node.core->current_role() != role::leader) {
                continue;
            }
            auto term = node.core->term();
            auto [it, added] = _leaders.emplace(term, node.id);
            if (!added) {
                if (it->second != node.id) {
                    fail(fmt::format("two leaders in term {}: {} and {}", term,
                                     it->second, node.id));
                }
                continue;
            }
            ++_result.elections;
            for (size_t at = 0; at < _committed.size(); ++at) {
                if (at >= node.view.size() || !(node.view.at(at) == _committed[at])) {
                    fail(fmt::format("leader {} of term {} lacks committed entry {}", i,
                                     term, at));
                    return;
                }
            }
        }
    }

    // Two logs with an entry of the same term at the same index hold the
    // same entries up to there.
    void check_log_matching() {
        for (size_t a = 0; a < _nodes.size(); ++a) {
            for (size_t b = a + 1; b < _nodes.size(); ++b) {
                if (!_nodes[a].up || !_nodes[b].up) {
                    continue;
                }
                const auto& x = _nodes[a].view;
                const auto& y = _nodes[b].view;
                auto common = std::min(x.size(), y.size());
                size_t last_same = common;
                for (size_t at = common; at-- > 0;) {
                    if (x.start(at) == y.start(at) && x.at(at).term == y.at(at).term) {
                        last_same = at;
                        break;
                    }
                }
                if (last_same == common) {
                    continue;
                }
                for (size_t at = 0; at <= last_same; ++at) {
                    if (x.start(at) != y.start(at) || !(x.at(at) == y.at(at))) {
                        fail(fmt::format("logs of {} and {} agree at entry {} (term {}) "
                                         "but differ at entry {}",
                                         a, b, last_same, x.at(last_same).term, at));
                        return;
                    }
                }
            }
        }
    }

    static constexpr std::string_view marker = "settled";

    run_options _opts;
    random_source _rng;
    configuration _initial;
    std::vector<sim_node> _nodes;
    std::map<std::pair<int64_t, uint64_t>, event> _queue;
    uint64_t _seq{0};
    int64_t _now{0};
    std::set<std::pair<int32_t, int32_t>> _blocked;
    double _drop{0};
    double _duplicate{0};
    int64_t _max_delay_ms{10};
    bool _healed{false};
    int64_t _proposals{0};
    std::vector<entry> _committed;
    bool _marker_committed{false};
    std::map<term_id, node_id> _leaders;
    std::string _violation;
    run_result _result;
};

} // namespace

run_result run(const run_options& opts) {
    simulation s(opts);
    return s.run();
}

} // namespace raft::sim
