#include "raft/consensus.h"

#include "base/vassert.h"

#include <algorithm>
#include <functional>

namespace raft {
namespace {

// splitmix64: a small, seedable generator, so that a run replays exactly.
uint64_t next_random(uint64_t& state) {
    state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
}

term_id term_of(const message& m) {
    return std::visit([](const auto& v) { return v.term; }, m);
}

log_index next_after(log_index i) {
    return log_index(i() + 1);
}

} // namespace

consensus::consensus(node_id self, durable_state state, options opts)
  : _self(self)
  , _base_config(std::move(state.config))
  , _configs(std::move(state.log_configs))
  , _opts(opts)
  , _rng(opts.seed ^ (static_cast<uint64_t>(self()) * 0x9E3779B97F4A7C15ULL))
  , _term(state.term)
  , _voted_for(state.voted_for)
  , _log(std::move(state.log)) {
    vassert(_opts.election_timeout_ticks > _opts.heartbeat_ticks,
            "election timeout {} must exceed the heartbeat interval {}",
            _opts.election_timeout_ticks, _opts.heartbeat_ticks);
    // A term below the log's last one means the saved term was lost (a
    // node's term never falls behind its log): take the log's, with no vote.
    if (_term < _log.last_term()) {
        _term = _log.last_term();
        _voted_for = no_node;
    }
    // What the driver loaded is on disk.
    _flushed = _log.last_index();
    reset_election_timer();
}

const configuration& consensus::config() const {
    return _configs.empty() ? _base_config : _configs.back().second;
}

// A voter of the configuration in effect; or of the one before while the
// change that left it out is uncommitted: a leader removed by it may have
// stepped down first, and the entry needs a leader to commit (only a log
// as long as that leader's can win).
bool consensus::may_campaign() const {
    if (is_voter(_self)) {
        return true;
    }
    if (_configs.empty() || _configs.back().first <= _commit) {
        return false;
    }
    const auto& before =
        _configs.size() >= 2 ? _configs[_configs.size() - 2].second : _base_config;
    return before.is_voter(_self);
}

bool consensus::votes_won() const {
    auto voters = std::count_if(_votes.begin(), _votes.end(),
                                [&](node_id n) { return is_voter(n); });
    return static_cast<size_t>(voters) >= quorum();
}

void consensus::reset_election_timer() {
    _election_elapsed = 0;
    auto base = static_cast<uint64_t>(_opts.election_timeout_ticks);
    _election_timeout = static_cast<int>(base + next_random(_rng) % base);
}

void consensus::send_to(node_id to, message m) {
    emit(send_message{envelope{_self, to, std::move(m)}});
}

void consensus::save() {
    emit(save_state{_term, _voted_for});
}

std::vector<effect> consensus::take_effects() {
    std::vector<effect> out;
    out.swap(_effects);
    return out;
}

// --- time -------------------------------------------------------------

size_t consensus::in_sync_voters() const {
    if (_role != role::leader) {
        return 0;
    }
    size_t in_sync = is_voter(_self) ? 1 : 0;
    for (const auto& [peer, p] : _progress) {
        if (is_voter(peer) && p.ticks_since_heard <= _opts.election_timeout_ticks
            && p.match >= _commit) {
            ++in_sync;
        }
    }
    return in_sync;
}

void consensus::campaign() {
    if (_role != role::leader && may_campaign()) {
        start_pre_vote();
    }
}

void consensus::tick() {
    if (_role != role::leader) {
        ++_election_elapsed;
        if (_election_elapsed >= _election_timeout && may_campaign()) {
            start_pre_vote();
        }
        return;
    }
    if (++_heartbeat_elapsed >= _opts.heartbeat_ticks) {
        _heartbeat_elapsed = 0;
        heartbeat();
    }
    if (++_quorum_elapsed >= _opts.election_timeout_ticks) {
        _quorum_elapsed = 0;
        check_quorum();
        if (_role != role::leader) {
            return;
        }
    }
    for (auto& [peer, p] : _progress) {
        p.ticks_since_heard =
            std::min(p.ticks_since_heard + 1, _opts.election_timeout_ticks + 1);
        // Appends in flight with no answer for a while were lost: resend
        // from what the follower is known to have.
        if (p.in_flight > 0 && ++p.ticks_since_ack > 2 * _opts.heartbeat_ticks) {
            reset_progress(p, next_after(p.match));
            replicate(peer);
        }
    }
    if (_transfer_target && ++_transfer_elapsed > _opts.election_timeout_ticks) {
        _transfer_target.reset(); // the target did not take over: carry on
    }
}

// --- roles --------------------------------------------------------------

void consensus::become_follower(term_id term, node_id leader) {
    if (term > _term) {
        _term = term;
        _voted_for = no_node;
        save();
    }
    if (_role == role::leader || leader != _leader) {
        // Only the committed prefix is known to match a new leader's log.
        _verified = _commit;
    }
    _role = role::follower;
    _leader = leader;
    _votes.clear();
    _progress.clear();
    _reads.clear();
    _transfer_target.reset();
    reset_election_timer();
}

// Pre-vote (Raft thesis 9.6): a node cut off from the others asks first,
// without raising its term, so its return cannot depose a working leader.
void consensus::start_pre_vote() {
    _role = role::pre_candidate;
    _leader = no_node;
    _votes = {_self};
    reset_election_timer();
    if (votes_won()) {
        start_election(false);
        return;
    }
    for (auto v : config().voters) {
        if (v != _self) {
            send_to(v,
                    vote_request{term_id(_term() + 1), _log.last_index(),
                                 _log.last_term(), true, false});
        }
    }
}

void consensus::start_election(bool transfer) {
    _role = role::candidate;
    _term = term_id(_term() + 1);
    _voted_for = _self;
    _leader = no_node;
    _votes = {_self};
    save();
    reset_election_timer();
    if (votes_won()) {
        become_leader();
        return;
    }
    for (auto v : config().voters) {
        if (v != _self) {
            send_to(v,
                    vote_request{_term, _log.last_index(), _log.last_term(), false,
                                 transfer});
        }
    }
}

void consensus::become_leader() {
    _role = role::leader;
    _leader = _self;
    _votes.clear();
    _reads.clear();
    _progress.clear();
    _transfer_target.reset();
    _heartbeat_elapsed = 0;
    _quorum_elapsed = 0;
    sync_progress();
    // Entries of earlier terms commit only with one of this term.
    std::vector<entry> first;
    first.push_back(entry{_term, entry_type::leader_start, {}});
    append_local(std::nullopt, std::move(first));
    replicate_all();
    advance_commit();
}

// The leader follows every member of the configuration in effect.
void consensus::sync_progress() {
    const auto& c = config();
    std::erase_if(_progress, [&](const auto& p) { return !c.is_member(p.first); });
    for (const auto* group : {&c.voters, &c.learners}) {
        for (auto n : *group) {
            if (n != _self && !_progress.contains(n)) {
                // Not in sync until it answers.
                _progress[n] =
                    progress{.next = next_after(_log.last_index()),
                             .ticks_since_heard = _opts.election_timeout_ticks + 1};
            }
        }
    }
}

void consensus::check_quorum() {
    size_t heard = is_voter(_self) ? 1 : 0;
    for (auto& [peer, p] : _progress) {
        if (p.heard && is_voter(peer)) {
            ++heard;
        }
        p.heard = false;
    }
    if (heard < quorum()) {
        // Cut off from a majority: stop acting as leader, so that clients
        // look for the one the majority elects.
        become_follower(_term, no_node);
    }
}

// --- messages -----------------------------------------------------------

void consensus::receive(const envelope& in) {
    if (in.from == _self || in.to != _self) {
        return;
    }
    if (term_of(in.msg) > _term) {
        step_down_if_newer(in.from, in.msg);
    }
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, vote_request>) {
                on_vote_request(in.from, m);
            } else if constexpr (std::is_same_v<T, vote_reply>) {
                on_vote_reply(in.from, m);
            } else if constexpr (std::is_same_v<T, append_request>) {
                on_append_request(in.from, m);
            } else if constexpr (std::is_same_v<T, append_reply>) {
                on_append_reply(in.from, m);
            } else {
                on_timeout_now(m);
            }
        },
        in.msg);
}

void consensus::step_down_if_newer(node_id from, const message& m) {
    if (const auto* r = std::get_if<vote_request>(&m)) {
        // A pre-vote changes nobody's term; a vote does, unless a leader
        // was heard from within the election timeout (check-quorum's lease)
        // and it is not a transfer the leader asked for.
        bool in_lease = _role == role::leader
            || (_leader != no_node && _election_elapsed < _opts.election_timeout_ticks);
        if (r->pre_vote || (in_lease && !r->transfer)) {
            return;
        }
    }
    if (const auto* r = std::get_if<vote_reply>(&m);
        r != nullptr && r->pre_vote && r->granted) {
        return;
    }
    bool from_leader = std::holds_alternative<append_request>(m);
    become_follower(term_of(m), from_leader ? from : no_node);
}

bool consensus::log_up_to_date(log_index last_index, term_id last_term) const {
    return last_term > _log.last_term()
        || (last_term == _log.last_term() && last_index >= _log.last_index());
}

void consensus::on_vote_request(node_id from, const vote_request& r) {
    bool log_ok = log_up_to_date(r.last_index, r.last_term);
    if (r.pre_vote) {
        bool in_lease = _role == role::leader
            || (_leader != no_node && _election_elapsed < _opts.election_timeout_ticks);
        bool grant = r.term > _term && log_ok && !in_lease;
        send_to(from, vote_reply{grant ? r.term : _term, grant, true});
        return;
    }
    // Who counts is the candidate's configuration: a node added as a voter
    // votes before it has the entry that added it (Raft thesis 4.2.1).
    bool grant = r.term == _term
        && (_voted_for == no_node || _voted_for == from || _opts.bug_vote_twice)
        && log_ok;
    if (grant) {
        _voted_for = from;
        save();
        reset_election_timer();
    }
    send_to(from, vote_reply{_term, grant, false});
}

void consensus::on_vote_reply(node_id from, const vote_reply& r) {
    if (!r.granted || !is_voter(from)) {
        return;
    }
    if (_role == role::pre_candidate && r.pre_vote && r.term == term_id(_term() + 1)) {
        _votes.insert(from);
        if (votes_won()) {
            start_election(false);
        }
    } else if (_role == role::candidate && !r.pre_vote && r.term == _term) {
        _votes.insert(from);
        if (votes_won()) {
            become_leader();
        }
    }
}

void consensus::on_append_request(node_id from, const append_request& r) {
    if (r.term < _term) {
        send_to(from, append_reply{.term = _term, .hint = next_after(_log.last_index())});
        return;
    }
    vassert(_role != role::leader, "two leaders ({} and {}) in term {}", _self, from,
            _term);
    if (_role != role::follower || _leader != from) {
        become_follower(_term, from);
    }
    reset_election_timer();
    auto reject = [&](log_index hint) {
        send_to(from, append_reply{.term = _term, .hint = hint});
    };
    if (!well_formed(r)) {
        return; // not from a correct leader: nothing to learn from it
    }
    if (r.prev_index > _log.last_index()) {
        reject(next_after(_log.last_index()));
        return;
    }
    if (r.prev_index == no_index && r.prev_term != term_id(0)) {
        return; // nothing precedes the first entry
    }
    if (_log.term_at(r.prev_index) != r.prev_term) {
        // Skip the whole diverging term: the leader backs off one term per
        // round trip, not one entry.
        auto hint = _log.first_index_of_run(r.prev_index);
        reject(std::max(hint, next_after(_commit)));
        return;
    }
    // Entries with the same term at the same index are the same entry (one
    // leader made both): skip those the follower has.
    auto at = next_after(r.prev_index);
    size_t k = 0;
    while (k < r.entries.size() && at <= _log.last_index()
           && _log.term_at(at) == r.entries[k].term) {
        at = log_index(at() + r.entries[k].offsets);
        ++k;
    }
    if (k < r.entries.size()) {
        std::optional<log_index> truncate_from;
        if (at <= _log.last_index()) {
            vassert(at > _commit, "{}: truncating committed entry {} (commit {})", _self,
                    at, _commit);
            truncate_from = at;
        }
        std::vector<entry> rest;
        rest.reserve(r.entries.size() - k);
        for (size_t i = k; i < r.entries.size(); ++i) {
            rest.push_back(r.entries[i].share());
        }
        append_local(truncate_from, std::move(rest));
    }
    auto last = r.prev_index;
    for (const auto& e : r.entries) {
        last = log_index(last() + e.offsets);
    }
    _verified = std::max(_verified, last);
    set_commit(std::min(r.commit, last));
    send_to(from,
            append_reply{.term = _term,
                         .success = true,
                         .last_index = last,
                         .flushed = std::min(_flushed, _verified)});
}

// What a correct leader sends: positions in range, entry terms rising no
// higher than the leader's, configurations that decode. Anything else is
// dropped rather than trusted (a peer's bug must not crash this node).
bool consensus::well_formed(const append_request& r) {
    if (r.prev_index < no_index || r.commit < no_index) {
        return false;
    }
    auto term = r.prev_term;
    for (const auto& e : r.entries) {
        if (e.term < term || e.term > r.term || e.offsets < 1
            || (e.type == entry_type::configuration
                && !decode_configuration(e.data).has_value())) {
            return false;
        }
        term = e.term;
    }
    return true;
}

void consensus::on_append_reply(node_id from, const append_reply& r) {
    if (_role != role::leader || r.term != _term) {
        return;
    }
    auto it = _progress.find(from);
    if (it == _progress.end()) {
        return;
    }
    auto& p = it->second;
    p.heard = true;
    p.ticks_since_heard = 0;
    if (r.success) {
        if (r.last_index > _log.last_index()) {
            return; // acknowledges entries this leader never had
        }
        if (r.last_index > p.match) {
            p.match = r.last_index;
            p.ticks_since_ack = 0;
            // Everything sent is acknowledged: no append is in flight any
            // more, whichever answers were lost or overtaken.
            p.in_flight =
                p.match >= log_index(p.next() - 1) ? 0 : std::max(0, p.in_flight - 1);
        }
        p.flushed = std::max(p.flushed, std::min(r.flushed, p.match));
        if (p.next <= p.match) {
            p.next = next_after(p.match);
        }
        advance_commit();
        maybe_finish_transfer(from);
        replicate(from);
        return;
    }
    // The follower's log is shorter (it may have lost unflushed entries in
    // a crash) or diverges: start again where it says.
    auto hint = std::clamp(r.hint, log_index(0), next_after(_log.last_index()));
    if (hint <= p.match) {
        p.match = log_index(hint() - 1);
        p.flushed = std::min(p.flushed, p.match);
    }
    p.ticks_since_ack = 0;
    reset_progress(p, hint);
    replicate(from);
}

void consensus::on_timeout_now(const timeout_now& r) {
    if (r.term == _term && _role != role::leader && may_campaign()) {
        start_election(true);
    }
}

// --- replication ----------------------------------------------------------

void consensus::append_local(std::optional<log_index> truncate_from,
                             std::vector<entry> entries) {
    if (truncate_from) {
        _log.truncate(*truncate_from);
        _flushed = std::min(_flushed, log_index((*truncate_from)() - 1));
        // A configuration truncated away is no longer in effect.
        while (!_configs.empty() && _configs.back().first >= *truncate_from) {
            _configs.pop_back();
        }
    }
    for (const auto& e : entries) {
        _log.append(e.term, e.offsets);
        track_configuration(_log.last_index(), e);
    }
    auto id = _next_persist++;
    _persists.push_back({id, truncate_from, _log.last_index()});
    emit(persist{id, truncate_from, std::move(entries)});
}

// Raft's single-server changes take effect when appended, not committed.
void consensus::track_configuration(log_index at, const entry& e) {
    if (e.type != entry_type::configuration) {
        return;
    }
    auto c = decode_configuration(e.data);
    vassert(c.has_value(), "configuration entry {} does not decode", at);
    _configs.emplace_back(at, std::move(*c));
    if (_role == role::leader) {
        sync_progress();
    }
}

void consensus::persisted(uint64_t id) {
    std::optional<log_index> durable;
    while (!_persists.empty() && _persists.front().id <= id) {
        durable = _persists.front().last;
        _persists.pop_front();
    }
    if (!durable) {
        return;
    }
    // What later writes will truncate is not part of the current log.
    for (const auto& later : _persists) {
        if (later.truncate_from) {
            durable = std::min(*durable, log_index((*later.truncate_from)() - 1));
        }
    }
    _flushed = std::min(std::max(_flushed, *durable), _log.last_index());
    if (_role == role::leader) {
        advance_commit();
    } else if (_role == role::follower && _leader != no_node) {
        auto known = std::min(_flushed, _verified);
        send_to(
            _leader,
            append_reply{
                .term = _term, .success = true, .last_index = known, .flushed = known});
    }
}

void consensus::reset_progress(progress& p, log_index next) {
    p.next = next;
    p.in_flight = 0;
    p.reading = false;
    ++p.generation;
}

void consensus::replicate(node_id peer) {
    if (_role != role::leader) {
        return;
    }
    auto& p = _progress.at(peer);
    if (p.reading || p.in_flight >= _opts.max_in_flight || p.next > _log.last_index()) {
        return;
    }
    auto token = _next_token++;
    _reads[token] = pending_read{peer, p.generation, _term, p.next};
    p.reading = true;
    emit(read_entries{token, p.next, _log.last_index(), _opts.max_entries_per_append});
}

void consensus::replicate_all() {
    for (auto& [peer, p] : _progress) {
        replicate(peer);
    }
}

void consensus::read_done(uint64_t token, log_index first, std::vector<entry> entries) {
    auto it = _reads.find(token);
    if (it == _reads.end()) {
        return;
    }
    auto pr = it->second;
    _reads.erase(it);
    if (_role != role::leader || pr.term != _term) {
        return;
    }
    auto found = _progress.find(pr.peer);
    if (found == _progress.end() || found->second.generation != pr.generation) {
        return; // the follower was reset meanwhile: a newer read follows
    }
    auto& p = found->second;
    p.reading = false;
    vassert(first <= pr.from && first >= log_index(0), "read from {} starts at {}",
            pr.from, first);
    auto prev = log_index(first() - 1);
    auto prev_term = *_log.term_at(prev);
    auto end = prev;
    for (const auto& e : entries) {
        auto at = next_after(end);
        vassert(_log.term_at(at) == e.term, "read entry {} has term {}", at, e.term);
        end = log_index(end() + e.offsets);
    }
    vassert(end <= _log.last_index(), "read past the log's end: {} > {}", end,
            _log.last_index());
    if (entries.empty()) {
        return;
    }
    if (p.in_flight == 0) {
        p.ticks_since_ack = 0; // the wait for an answer starts now
    }
    ++p.in_flight;
    p.next = next_after(end);
    send_to(pr.peer, append_request{_term, prev, prev_term, std::move(entries), _commit});
    replicate(pr.peer);
}

void consensus::heartbeat() {
    for (auto& [peer, p] : _progress) {
        // From what the follower is known to have, so that it succeeds
        // whatever is still in flight.
        auto prev = p.match;
        send_to(peer, append_request{_term, prev, *_log.term_at(prev), {}, _commit});
    }
}

void consensus::advance_commit() {
    if (_role != role::leader) {
        return;
    }
    std::vector<log_index> flushed;
    if (is_voter(_self)) {
        flushed.push_back(_flushed);
    }
    for (const auto& [peer, p] : _progress) {
        if (is_voter(peer)) {
            flushed.push_back(p.flushed);
        }
    }
    std::sort(flushed.begin(), flushed.end(), std::greater<>());
    // acks=all: a majority of voters has the entry on disk.
    auto candidate = flushed[quorum() - 1];
    if (_opts.bug_commit_without_majority) {
        candidate = _flushed;
    }
    if (candidate > _commit && _log.term_at(candidate) == _term) {
        set_commit(candidate);
    }
    // A leader the committed configuration left out hands over: the
    // remaining voters elect one of theirs.
    if (!is_voter(_self) && !_configs.empty() && _configs.back().first <= _commit) {
        become_follower(_term, no_node);
    }
}

void consensus::set_commit(log_index commit) {
    if (commit > _commit) {
        _commit = commit;
        emit(committed{commit});
    }
}

std::optional<log_index> consensus::propose(base::iobuf data, int32_t offsets) {
    if (_role != role::leader || _transfer_target) {
        return std::nullopt;
    }
    auto at = next_after(_log.last_index());
    std::vector<entry> one;
    one.push_back(entry{_term, entry_type::data, std::move(data), offsets});
    append_local(std::nullopt, std::move(one));
    replicate_all();
    return at;
}

std::optional<log_index> consensus::propose_configuration(configuration next) {
    if (_role != role::leader || _transfer_target) {
        return std::nullopt;
    }
    bool previous_committed = _configs.empty() || _configs.back().first <= _commit;
    // Until an entry of this term commits, an uncommitted change of an
    // earlier leader may still be in effect elsewhere (Ongaro's fix).
    bool term_committed = _log.term_at(_commit) == _term;
    const auto& now = config();
    auto differing = [](const std::vector<node_id>& a, const std::vector<node_id>& b) {
        size_t n = 0;
        for (auto x : a) {
            n += std::find(b.begin(), b.end(), x) == b.end() ? 1 : 0;
        }
        return n;
    };
    bool one_voter =
        differing(now.voters, next.voters) + differing(next.voters, now.voters) <= 1;
    if (!previous_committed || !term_committed || !one_voter || !next.valid()) {
        return std::nullopt;
    }
    std::vector<entry> one;
    one.push_back(entry{_term, entry_type::configuration, encode_configuration(next)});
    append_local(std::nullopt, std::move(one));
    replicate_all();
    advance_commit();
    return _log.last_index();
}

// --- leadership transfer ----------------------------------------------------

bool consensus::transfer_leadership(node_id target) {
    if (_role != role::leader || target == _self || !is_voter(target)) {
        return false;
    }
    _transfer_target = target;
    _transfer_elapsed = 0;
    maybe_finish_transfer(target);
    return true;
}

void consensus::maybe_finish_transfer(node_id peer) {
    if (_transfer_target != peer) {
        return;
    }
    if (_progress.at(peer).match == _log.last_index()) {
        send_to(peer, timeout_now{_term});
    }
}

} // namespace raft
