#include "kafka/server/group/group.h"

#include "base/iobuf.h"
#include "kafka/protocol/messages/consumer_protocol.h"
#include "kafka/protocol/wire.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <set>

namespace kafka::group {
namespace {

using join_response = protocol::join_group_response;

join_response join_error(error_code e, const std::string& member_id) {
    join_response r;
    r.error_code = static_cast<int16_t>(e);
    r.member_id = member_id;
    return r;
}

bool same_protocols(const std::vector<protocol::join_group_request::protocol>& a,
                    const std::vector<protocol::join_group_request::protocol>& b) {
    return a == b;
}

} // namespace

std::string_view to_string(group_state s) {
    switch (s) {
        case group_state::empty:
            return "Empty";
        case group_state::preparing_rebalance:
            return "PreparingRebalance";
        case group_state::completing_rebalance:
            return "CompletingRebalance";
        case group_state::stable:
            return "Stable";
        case group_state::dead:
            return "Dead";
    }
    return "Unknown";
}

const std::vector<uint8_t>* member::metadata_for(const std::string& protocol) const {
    for (const auto& p : protocols) {
        if (p.name == protocol) {
            return &p.metadata;
        }
    }
    return nullptr;
}

group::group(std::string id, boost::asio::any_io_executor ex, group_limits limits)
  : _id(std::move(id))
  , _ex(std::move(ex))
  , _limits(limits)
  , _next_member(std::random_device{}()) {}

std::string group::new_member_id(const std::string& client_id) {
    // Kafka's form: the client id, a dash, and something unique.
    _next_member = _next_member * 6364136223846793005ULL + 1442695040888963407ULL;
    return fmt::format("{}-{:016x}", client_id, _next_member);
}

error_code group::validate_join(const protocol::join_group_request& request) const {
    if (request.session_timeout_ms < _limits.min_session_timeout_ms
        || request.session_timeout_ms > _limits.max_session_timeout_ms) {
        return error_code::invalid_session_timeout;
    }
    if (request.protocol_type.empty() || request.protocols.empty()) {
        return error_code::inconsistent_group_protocol;
    }
    if (_members.empty()) {
        return error_code::none;
    }
    if (request.protocol_type != _protocol_type) {
        return error_code::inconsistent_group_protocol;
    }
    // At least one of its protocols must be one every member supports.
    for (const auto& p : request.protocols) {
        bool everyone = std::all_of(_members.begin(), _members.end(), [&](const auto& m) {
            return m.second.metadata_for(p.name) != nullptr;
        });
        if (everyone) {
            return error_code::none;
        }
    }
    return error_code::inconsistent_group_protocol;
}

join_outcome group::join(const protocol::join_group_request& request,
                         const join_origin& origin, clock::time_point now) {
    if (_state == group_state::dead) {
        return {join_error(error_code::coordinator_not_available, request.member_id),
                nullptr};
    }
    if (auto e = validate_join(request); e != error_code::none) {
        return {join_error(e, request.member_id), nullptr};
    }
    if (request.member_id.empty()) {
        if (request.group_instance_id) {
            if (auto it = _static_members.find(*request.group_instance_id);
                it != _static_members.end()) {
                return rejoin_static(it->second, request, origin, now);
            }
        }
        return join_new_member(request, origin, now);
    }
    if (auto p = _pending.find(request.member_id); p != _pending.end()) {
        _pending.erase(p);
        auto& m = add_member(request.member_id, request, origin, now);
        start_rebalance(now);
        return wait_for_join(m, now);
    }
    auto it = _members.find(request.member_id);
    if (it == _members.end()) {
        return {join_error(error_code::unknown_member_id, request.member_id), nullptr};
    }
    if (request.group_instance_id) {
        auto s = _static_members.find(*request.group_instance_id);
        if (s == _static_members.end() || s->second != request.member_id) {
            return {join_error(error_code::fenced_instance_id, request.member_id),
                    nullptr};
        }
    }
    return join_known_member(it->second, request, now);
}

join_outcome group::join_new_member(const protocol::join_group_request& request,
                                    const join_origin& origin, clock::time_point now) {
    if (_members.size() + _pending.size() >= static_cast<size_t>(_limits.max_size)) {
        return {join_error(error_code::group_max_size_reached, request.member_id),
                nullptr};
    }
    auto id = new_member_id(origin.client_id);
    // KIP-394: a dynamic member first learns its id, then joins with it, so
    // that a client whose first join times out leaves no ghost behind.
    if (!request.group_instance_id && origin.version >= 4) {
        _pending[id] = now + std::chrono::milliseconds(request.session_timeout_ms);
        return {join_error(error_code::member_id_required, id), nullptr};
    }
    auto& m = add_member(id, request, origin, now);
    if (request.group_instance_id) {
        _static_members[*request.group_instance_id] = id;
    }
    start_rebalance(now);
    return wait_for_join(m, now);
}

// KIP-345: a static member that restarts takes its old place under a new
// id. Unless it changes the protocol the group would select, the group does
// not rebalance, as in Kafka: new metadata alone (a restarted consumer owns
// no partitions yet) keeps the current generation, and the member gets its
// assignment by SyncGroup.
join_outcome group::rejoin_static(std::string old_id,
                                  const protocol::join_group_request& request,
                                  const join_origin& origin, clock::time_point now) {
    auto node = _members.extract(old_id);
    member m = std::move(node.mapped());
    // The old incarnation is fenced: whatever it waits for ends now.
    if (m.join_reply) {
        m.join_reply->set(join_error(error_code::fenced_instance_id, old_id));
        m.join_reply.reset();
    }
    if (m.sync_reply) {
        m.sync_reply->set({error_code::fenced_instance_id, {}});
        m.sync_reply.reset();
    }
    m.id = new_member_id(origin.client_id);
    m.client_id = origin.client_id;
    m.client_host = origin.client_host;
    m.session_timeout_ms = request.session_timeout_ms;
    m.rebalance_timeout_ms = request.rebalance_timeout_ms;
    m.protocols = request.protocols;
    m.last_seen = now;
    _static_members[*request.group_instance_id] = m.id;
    bool was_leader = _leader == old_id;
    if (was_leader) {
        _leader = m.id;
    }
    auto& placed = _members.emplace(m.id, std::move(m)).first->second;
    if (_state == group_state::stable && select_protocol() == _protocol) {
        auto answer = join_answer(placed);
        if (was_leader && origin.version < 9) {
            // A leader from before KIP-814 cannot be told to skip assigning:
            // Kafka names the old leader id, so it syncs as a follower.
            answer.leader = old_id;
            answer.members.clear();
        } else {
            answer.skip_assignment = was_leader;
        }
        return {std::move(answer), nullptr};
    }
    start_rebalance(now);
    return wait_for_join(placed, now);
}

join_outcome group::join_known_member(member& m,
                                      const protocol::join_group_request& request,
                                      clock::time_point now) {
    bool unchanged = same_protocols(m.protocols, request.protocols);
    m.protocols = request.protocols;
    m.session_timeout_ms = request.session_timeout_ms;
    m.rebalance_timeout_ms = request.rebalance_timeout_ms;
    m.last_seen = now;
    switch (_state) {
        case group_state::preparing_rebalance:
            return wait_for_join(m, now);
        case group_state::completing_rebalance:
            if (unchanged) {
                // A retried JoinGroup whose answer was lost.
                return {join_answer(m), nullptr};
            }
            break;
        case group_state::stable:
            if (unchanged && m.id != _leader) {
                return {join_answer(m), nullptr};
            }
            break;
        case group_state::empty:
        case group_state::dead:
            break;
    }
    start_rebalance(now);
    return wait_for_join(m, now);
}

member& group::add_member(std::string id, const protocol::join_group_request& request,
                          const join_origin& origin, clock::time_point now) {
    if (_members.empty()) {
        _protocol_type = request.protocol_type;
    }
    member m;
    m.id = id;
    m.instance_id = request.group_instance_id;
    m.client_id = origin.client_id;
    m.client_host = origin.client_host;
    m.session_timeout_ms = request.session_timeout_ms;
    m.rebalance_timeout_ms = request.rebalance_timeout_ms;
    m.protocols = request.protocols;
    m.last_seen = now;
    // A newcomer during the initial delay pushes the end of the join phase
    // back, so that a group starting up joins in one round.
    if (_state == group_state::preparing_rebalance && now < _join_not_before) {
        _join_not_before =
            std::min(now + _limits.initial_rebalance_delay, _join_deadline);
    }
    return _members.emplace(std::move(id), std::move(m)).first->second;
}

join_outcome group::wait_for_join(member& m, clock::time_point now) {
    if (m.join_reply) {
        m.join_reply->set(join_error(error_code::rebalance_in_progress, m.id));
    }
    m.join_reply = std::make_shared<reply_slot<join_response>>(_ex);
    auto slot = m.join_reply;
    maybe_complete_join(now);
    return {std::nullopt, slot};
}

void group::start_rebalance(clock::time_point now) {
    if (_state == group_state::preparing_rebalance) {
        return;
    }
    if (_state == group_state::completing_rebalance) {
        for (auto& [id, m] : _members) {
            if (m.sync_reply) {
                m.sync_reply->set({error_code::rebalance_in_progress, {}});
                m.sync_reply.reset();
            }
        }
    }
    bool was_empty = _state == group_state::empty;
    _state = group_state::preparing_rebalance;
    int32_t longest = 0;
    for (const auto& [id, m] : _members) {
        longest = std::max(longest, m.rebalance_timeout_ms);
    }
    _join_deadline = now + std::chrono::milliseconds(longest);
    _join_not_before =
        was_empty ? std::min(now + _limits.initial_rebalance_delay, _join_deadline) : now;
}

bool group::all_joined() const {
    return _pending.empty()
        && std::all_of(_members.begin(), _members.end(),
                       [](const auto& m) { return m.second.join_reply != nullptr; });
}

void group::maybe_complete_join(clock::time_point now) {
    if (_state == group_state::preparing_rebalance && all_joined()
        && now >= _join_not_before) {
        complete_join(now);
    }
}

std::optional<std::string> group::select_protocol() const {
    if (_members.empty()) {
        return std::nullopt;
    }
    // The protocols every member supports, each member voting for its most
    // preferred one among them.
    std::vector<std::string> candidates;
    for (const auto& p : _members.begin()->second.protocols) {
        bool everyone = std::all_of(_members.begin(), _members.end(), [&](const auto& m) {
            return m.second.metadata_for(p.name) != nullptr;
        });
        if (everyone) {
            candidates.push_back(p.name);
        }
    }
    if (candidates.empty()) {
        return std::nullopt;
    }
    std::map<std::string, int> votes;
    for (const auto& [id, m] : _members) {
        for (const auto& p : m.protocols) {
            if (std::find(candidates.begin(), candidates.end(), p.name)
                != candidates.end()) {
                ++votes[p.name];
                break;
            }
        }
    }
    return std::max_element(
               votes.begin(), votes.end(),
               [](const auto& a, const auto& b) { return a.second < b.second; })
        ->first;
}

void group::complete_join(clock::time_point now) {
    // Members that did not rejoin in time are out.
    std::vector<std::string> gone;
    for (const auto& [id, m] : _members) {
        if (!m.join_reply) {
            gone.push_back(id);
        }
    }
    for (const auto& id : gone) {
        remove_member(id);
    }
    _pending.clear();
    ++_generation;
    if (_members.empty()) {
        _state = group_state::empty;
        _protocol.reset();
        _leader.clear();
        return;
    }
    _protocol = select_protocol();
    if (!_members.contains(_leader)) {
        _leader = _members.begin()->first;
    }
    _state = group_state::completing_rebalance;
    int32_t longest = 0;
    for (auto& [id, m] : _members) {
        longest = std::max(longest, m.rebalance_timeout_ms);
        m.assignment.clear();
        m.last_seen = now;
    }
    _sync_deadline = now + std::chrono::milliseconds(longest);
    for (auto& [id, m] : _members) {
        m.join_reply->set(join_answer(m));
        m.join_reply.reset();
    }
}

join_response group::join_answer(const member& m) const {
    join_response r;
    r.generation_id = _generation;
    r.protocol_type = _protocol_type;
    r.protocol_name = _protocol;
    r.leader = _leader;
    r.member_id = m.id;
    if (m.id == _leader && _protocol) {
        for (const auto& [id, other] : _members) {
            const auto* metadata = other.metadata_for(*_protocol);
            r.members.push_back(
                {.member_id = id,
                 .group_instance_id = other.instance_id,
                 .metadata = metadata ? *metadata : std::vector<uint8_t>{}});
        }
    }
    return r;
}

void group::remove_member(const std::string& id) {
    auto it = _members.find(id);
    if (it == _members.end()) {
        return;
    }
    auto& m = it->second;
    if (m.join_reply) {
        m.join_reply->set(join_error(error_code::unknown_member_id, id));
    }
    if (m.sync_reply) {
        m.sync_reply->set({error_code::unknown_member_id, {}});
    }
    if (m.instance_id) {
        auto s = _static_members.find(*m.instance_id);
        if (s != _static_members.end() && s->second == id) {
            _static_members.erase(s);
        }
    }
    if (_leader == id) {
        _leader.clear();
    }
    _members.erase(it);
}

group::sync_outcome group::sync(const protocol::sync_group_request& request,
                                clock::time_point now) {
    auto error = [](error_code e) {
        return sync_outcome{sync_answer{e, {}}, nullptr, false};
    };
    if (_state == group_state::dead) {
        return error(error_code::coordinator_not_available);
    }
    if (auto e = check_member(request.member_id, request.group_instance_id,
                              request.generation_id);
        e != error_code::none) {
        return error(e);
    }
    auto& m = _members.at(request.member_id);
    if ((request.protocol_type && *request.protocol_type != _protocol_type)
        || (request.protocol_name && request.protocol_name != _protocol)) {
        return error(error_code::inconsistent_group_protocol);
    }
    m.last_seen = now;
    switch (_state) {
        case group_state::preparing_rebalance:
            return error(error_code::rebalance_in_progress);
        case group_state::stable:
            return {sync_answer{error_code::none, m.assignment}, nullptr, false};
        case group_state::completing_rebalance:
            break;
        default:
            return error(error_code::unknown_member_id);
    }
    if (m.sync_reply) {
        m.sync_reply->set({error_code::rebalance_in_progress, {}});
    }
    m.sync_reply = std::make_shared<reply_slot<sync_answer>>(_ex);
    sync_outcome out{std::nullopt, m.sync_reply, false};
    if (m.id == _leader) {
        for (const auto& a : request.assignments) {
            if (auto target = _members.find(a.member_id); target != _members.end()) {
                target->second.assignment = a.assignment;
            }
        }
        out.leader_assigned = true;
    }
    return out;
}

void group::finish_sync(int32_t generation, error_code persisted) {
    if (generation != _generation || _state != group_state::completing_rebalance) {
        return; // a rebalance began meanwhile and answered the waiters
    }
    if (persisted != error_code::none) {
        for (auto& [id, m] : _members) {
            m.assignment.clear();
            if (m.sync_reply) {
                m.sync_reply->set({persisted, {}});
                m.sync_reply.reset();
            }
        }
        return;
    }
    _state = group_state::stable;
    for (auto& [id, m] : _members) {
        if (m.sync_reply) {
            m.sync_reply->set({error_code::none, m.assignment});
            m.sync_reply.reset();
        }
    }
}

// Whether a request names a current member, in this generation; the
// generation fences requests from before a rebalance (ILLEGAL_GENERATION),
// the instance id a static member's former incarnation.
error_code group::check_member(const std::string& member_id,
                               const std::optional<std::string>& instance_id,
                               int32_t generation) const {
    auto it = _members.find(member_id);
    if (it == _members.end()) {
        return error_code::unknown_member_id;
    }
    if (instance_id && it->second.instance_id != instance_id) {
        return error_code::fenced_instance_id;
    }
    if (generation != _generation) {
        return error_code::illegal_generation;
    }
    return error_code::none;
}

error_code group::heartbeat(const std::string& member_id,
                            const std::optional<std::string>& instance_id,
                            int32_t generation, clock::time_point now) {
    if (_state == group_state::dead) {
        return error_code::coordinator_not_available;
    }
    if (auto e = check_member(member_id, instance_id, generation);
        e != error_code::none) {
        return e;
    }
    _members.at(member_id).last_seen = now;
    if (_state == group_state::preparing_rebalance) {
        return error_code::rebalance_in_progress;
    }
    return error_code::none;
}

error_code group::leave(const std::string& member_id,
                        const std::optional<std::string>& instance_id,
                        clock::time_point now) {
    std::string id = member_id;
    if (instance_id) {
        auto s = _static_members.find(*instance_id);
        if (s == _static_members.end()) {
            return error_code::unknown_member_id;
        }
        if (!member_id.empty() && member_id != s->second) {
            return error_code::fenced_instance_id;
        }
        id = s->second;
    } else if (_pending.erase(member_id) > 0) {
        maybe_complete_join(now);
        return error_code::none;
    }
    if (!_members.contains(id)) {
        return error_code::unknown_member_id;
    }
    remove_member(id);
    start_rebalance(now);
    maybe_complete_join(now);
    return error_code::none;
}

error_code group::check_commit(const std::string& member_id,
                               const std::optional<std::string>& instance_id,
                               int32_t generation, clock::time_point) const {
    if (generation < 0 && _members.empty()) {
        // A tool (or a consumer without a group) commits to an empty group.
        return error_code::none;
    }
    if (auto e = check_member(member_id, instance_id, generation);
        e != error_code::none) {
        return e;
    }
    // Eager consumers commit what they processed while the group prepares
    // to rebalance; only between join and sync is the generation in flux.
    if (_state == group_state::completing_rebalance) {
        return error_code::rebalance_in_progress;
    }
    return error_code::none;
}

bool group::tick(clock::time_point now) {
    for (auto it = _pending.begin(); it != _pending.end();) {
        it = now >= it->second ? _pending.erase(it) : std::next(it);
    }
    auto before = _state;
    if (_state == group_state::preparing_rebalance) {
        if (now >= _join_deadline) {
            complete_join(now);
        } else {
            maybe_complete_join(now);
        }
    } else if (_state == group_state::completing_rebalance && now >= _sync_deadline) {
        // Members that never asked for their assignment are gone.
        std::vector<std::string> gone;
        for (const auto& [id, m] : _members) {
            if (!m.sync_reply) {
                gone.push_back(id);
            }
        }
        for (const auto& id : gone) {
            remove_member(id);
        }
        start_rebalance(now);
    } else if (_state == group_state::stable
               || _state == group_state::completing_rebalance) {
        std::vector<std::string> expired;
        for (const auto& [id, m] : _members) {
            if (now - m.last_seen > std::chrono::milliseconds(m.session_timeout_ms)) {
                expired.push_back(id);
            }
        }
        if (!expired.empty()) {
            for (const auto& id : expired) {
                remove_member(id);
            }
            start_rebalance(now);
            maybe_complete_join(now);
        }
    }
    return before != _state && _state == group_state::empty;
}

protocol::group_metadata_value group::metadata(int64_t now_ms) const {
    protocol::group_metadata_value v;
    v.protocol_type = _protocol_type;
    v.generation = _generation;
    v.protocol = _protocol;
    if (!_leader.empty()) {
        v.leader = _leader;
    }
    v.current_state_timestamp = now_ms;
    for (const auto& [id, m] : _members) {
        const auto* subscription = _protocol ? m.metadata_for(*_protocol) : nullptr;
        v.members.push_back(
            {.member_id = id,
             .group_instance_id = m.instance_id,
             .client_id = m.client_id,
             .client_host = m.client_host,
             .rebalance_timeout = m.rebalance_timeout_ms,
             .session_timeout = m.session_timeout_ms,
             .subscription = subscription ? *subscription : std::vector<uint8_t>{},
             .assignment = m.assignment});
    }
    return v;
}

void group::restore(const protocol::group_metadata_value& v, clock::time_point now) {
    _protocol_type = v.protocol_type;
    _generation = v.generation;
    _protocol = v.protocol;
    _leader = v.leader.value_or("");
    _members.clear();
    _static_members.clear();
    for (const auto& rm : v.members) {
        member m;
        m.id = rm.member_id;
        m.instance_id = rm.group_instance_id;
        m.client_id = rm.client_id;
        m.client_host = rm.client_host;
        m.session_timeout_ms = rm.session_timeout;
        m.rebalance_timeout_ms = rm.rebalance_timeout;
        if (_protocol) {
            m.protocols.push_back({.name = *_protocol, .metadata = rm.subscription});
        }
        m.assignment = rm.assignment;
        m.last_seen = now;
        if (m.instance_id) {
            _static_members[*m.instance_id] = m.id;
        }
        _members.emplace(m.id, std::move(m));
    }
    _state = _members.empty() ? group_state::empty : group_state::stable;
}

std::vector<std::string> group::subscribed_topics() const {
    std::set<std::string> topics;
    if (_protocol_type != "consumer" || !_protocol) {
        return {};
    }
    for (const auto& [id, m] : _members) {
        const auto* bytes = m.metadata_for(*_protocol);
        if (bytes == nullptr || bytes->size() < 2) {
            continue;
        }
        auto buf = base::iobuf::copy_of(std::span<const uint8_t>(*bytes));
        protocol::reader r(buf);
        int16_t version = std::min<int16_t>(r.read_int16(), 3);
        protocol::consumer_protocol_subscription s;
        s.decode(r, version);
        if (!r.failed()) {
            topics.insert(s.topics.begin(), s.topics.end());
        }
    }
    return {topics.begin(), topics.end()};
}

void group::shed(error_code e) {
    for (auto& [id, m] : _members) {
        if (m.join_reply) {
            m.join_reply->set(join_error(e, m.id));
            m.join_reply.reset();
        }
        if (m.sync_reply) {
            m.sync_reply->set({e, {}});
            m.sync_reply.reset();
        }
    }
}

} // namespace kafka::group
