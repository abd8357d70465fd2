#include "kafka/server/fetch_session.h"

#include "kafka/protocol/messages/fetch.h"

#include <algorithm>
#include <limits>

namespace kafka {
namespace {

// Fetch versions from 13 name topics by id instead of by name.
constexpr int16_t first_topic_id_version = 13;
// The session epochs of KIP-227: 0 opens a session, -1 fetches without one.
constexpr int32_t initial_epoch = 0;
constexpr int32_t final_epoch = -1;

int32_t next_epoch(int32_t epoch) {
    return epoch == std::numeric_limits<int32_t>::max() ? 1 : epoch + 1;
}

std::vector<fetch_partition> partitions_of(const protocol::fetch_request& request) {
    std::vector<fetch_partition> out;
    for (const auto& t : request.topics) {
        for (const auto& p : t.partitions) {
            out.push_back({.topic = t.topic,
                           .topic_id = t.topic_id,
                           .partition = p.partition,
                           .fetch_offset = p.fetch_offset,
                           .max_bytes = p.partition_max_bytes,
                           .current_leader_epoch = p.current_leader_epoch});
        }
    }
    return out;
}

// splitmix64: session ids need to be hard to guess by accident, not secret.
uint64_t next_random(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

} // namespace

fetch_session::fetch_session(int32_t id, bool uses_topic_ids, clock::time_point now)
  : _id(id)
  , _uses_topic_ids(uses_topic_ids)
  , _created(now)
  , _last_used(now) {}

fetch_session::key fetch_session::key_of(const std::string& topic,
                                         const protocol::uuid& id,
                                         int32_t partition) const {
    if (_uses_topic_ids) {
        return {std::string(id.begin(), id.end()), partition};
    }
    return {topic, partition};
}

void fetch_session::apply(const protocol::fetch_request& request) {
    for (const auto& t : request.topics) {
        for (const auto& p : t.partitions) {
            auto k = key_of(t.topic, t.topic_id, p.partition);
            auto found = _index.find(k);
            if (found == _index.end()) {
                _partitions.push_back(
                    {.topic = t.topic, .topic_id = t.topic_id, .partition = p.partition});
                found = _index.emplace(std::move(k), std::prev(_partitions.end())).first;
            }
            auto& cached = *found->second;
            cached.fetch_offset = p.fetch_offset;
            cached.max_bytes = p.partition_max_bytes;
            cached.current_leader_epoch = p.current_leader_epoch;
        }
    }
    for (const auto& t : request.forgotten_topics_data) {
        for (int32_t partition : t.partitions) {
            auto found = _index.find(key_of(t.topic, t.topic_id, partition));
            if (found != _index.end()) {
                _partitions.erase(found->second);
                _index.erase(found);
            }
        }
    }
}

std::vector<fetch_partition> fetch_session::partitions() const {
    return {_partitions.begin(), _partitions.end()};
}

fetch_partition* fetch_session::find(const fetch_partition& p) {
    auto found = _index.find(key_of(p.topic, p.topic_id, p.partition));
    return found == _index.end() ? nullptr : &*found->second;
}

bool fetch_session::must_answer(const fetch_partition& p, const fetch_outcome& outcome) {
    auto* cached = find(p);
    if (cached == nullptr) {
        // Forgotten by a later request while this one read it: the answer
        // costs nothing and the client ignores it.
        return true;
    }
    bool answer = outcome.record_bytes > 0 || outcome.error_code != 0
        || cached->told_high_watermark != outcome.high_watermark
        || cached->told_last_stable_offset != outcome.last_stable_offset
        || cached->told_log_start_offset != outcome.log_start_offset;
    told(p, outcome);
    if (outcome.record_bytes > 0) {
        auto it = _index.find(key_of(p.topic, p.topic_id, p.partition))->second;
        _partitions.splice(_partitions.end(), _partitions, it);
    }
    return answer;
}

void fetch_session::told(const fetch_partition& p, const fetch_outcome& outcome) {
    auto* cached = find(p);
    if (cached == nullptr) {
        return;
    }
    // After an error the high watermark is forgotten, so that the partition
    // is answered again once the error clears.
    cached->told_high_watermark = outcome.error_code != 0 ? -1 : outcome.high_watermark;
    cached->told_last_stable_offset =
        outcome.error_code != 0 ? -1 : outcome.last_stable_offset;
    cached->told_log_start_offset = outcome.log_start_offset;
}

void fetch_session::advance(clock::time_point now) {
    _epoch = next_epoch(_epoch);
    _last_used = now;
}

fetch_session_cache::fetch_session_cache(limits l, uint32_t shard, uint32_t shards,
                                         uint64_t seed)
  : _limits(l)
  , _shard(shard)
  , _shards(std::max<uint32_t>(shards, 1))
  , _rng(seed) {}

const fetch_session* fetch_session_cache::find(int32_t id) const {
    auto found = _sessions.find(id);
    return found == _sessions.end() ? nullptr : found->second.get();
}

fetch_context fetch_session_cache::open(const protocol::fetch_request& request,
                                        int16_t version, clock::time_point now) {
    bool uses_topic_ids = version >= first_topic_id_version;
    int32_t epoch = request.session_epoch;
    fetch_context ctx;
    if (epoch == initial_epoch || epoch == final_epoch) {
        // A full fetch closes whatever session it names.
        _sessions.erase(request.session_id);
        ctx.partitions = partitions_of(request);
        if (epoch == initial_epoch) {
            ctx.session = create(uses_topic_ids, ctx.partitions.size(), now);
            if (ctx.session) {
                ctx.session->apply(request);
            }
        }
        return ctx;
    }
    auto found = _sessions.find(request.session_id);
    if (found == _sessions.end()) {
        ctx.error = error_code::fetch_session_id_not_found;
        return ctx;
    }
    auto session = found->second;
    if (session->epoch() != epoch) {
        ctx.error = error_code::invalid_fetch_session_epoch;
        return ctx;
    }
    if (session->uses_topic_ids() != uses_topic_ids) {
        ctx.error = error_code::fetch_session_topic_id_error;
        return ctx;
    }
    session->apply(request);
    if (session->size() == 0) {
        // Everything forgotten: the session ends and this fetch reads nothing.
        _sessions.erase(found);
        return ctx;
    }
    session->advance(now);
    ctx.session = std::move(session);
    ctx.incremental = true;
    ctx.partitions = ctx.session->partitions();
    return ctx;
}

std::shared_ptr<fetch_session> fetch_session_cache::create(bool uses_topic_ids,
                                                           size_t partitions,
                                                           clock::time_point now) {
    if (!make_room(partitions, now)) {
        return nullptr;
    }
    auto session = std::make_shared<fetch_session>(new_id(), uses_topic_ids, now);
    _sessions.emplace(session->id(), session);
    return session;
}

// Kafka's rule: with every slot taken, a new session may replace one that
// has been idle longer than the eviction time, or else a smaller one that
// is older than the eviction time. Otherwise the fetch goes without one.
bool fetch_session_cache::make_room(size_t partitions, clock::time_point now) {
    if (_sessions.size() < _limits.max_sessions) {
        return true;
    }
    if (_sessions.empty()) {
        return false;
    }
    auto idlest = std::min_element(
        _sessions.begin(), _sessions.end(), [](const auto& a, const auto& b) {
            return a.second->last_used() < b.second->last_used();
        });
    if (now - idlest->second->last_used() > _limits.eviction) {
        _sessions.erase(idlest);
        return true;
    }
    auto smallest = _sessions.end();
    for (auto it = _sessions.begin(); it != _sessions.end(); ++it) {
        const auto& s = *it->second;
        if (now - s.created() <= _limits.eviction) {
            continue;
        }
        if (smallest == _sessions.end() || s.size() < smallest->second->size()
            || (s.size() == smallest->second->size()
                && s.id() < smallest->second->id())) {
            smallest = it;
        }
    }
    if (smallest == _sessions.end() || partitions <= smallest->second->size()) {
        return false;
    }
    _sessions.erase(smallest);
    return true;
}

int32_t fetch_session_cache::new_id() {
    const uint64_t slots =
        static_cast<uint64_t>(std::numeric_limits<int32_t>::max()) / _shards;
    while (true) {
        auto id = static_cast<int32_t>((next_random(_rng) % slots) * _shards + _shard);
        if (id > 0 && !_sessions.contains(id)) {
            return id;
        }
    }
}

} // namespace kafka
