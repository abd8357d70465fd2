#pragma once

#include "kafka/protocol/error_code.h"
#include "kafka/protocol/wire.h"

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kafka::protocol {
struct fetch_request;
} // namespace kafka::protocol

namespace kafka {

// Incremental fetch sessions (KIP-227). A consumer of many partitions sends
// the full list once; afterwards it sends only what changed (a new fetch
// offset, a partition added or forgotten), and the broker answers only the
// partitions with something new to say. Each shard keeps the sessions of its
// own connections, so nothing here is shared between threads.

// A partition a fetch reads, and for a session what the client was last
// told about it.
struct fetch_partition {
    std::string topic;
    protocol::uuid topic_id{};
    int32_t partition{0};
    int64_t fetch_offset{0};
    int32_t max_bytes{0};
    int32_t current_leader_epoch{-1};
    // The high watermark and log start offset of the last response that
    // carried this partition; -1 until one did, so that a newly added
    // partition is always answered once.
    int64_t told_high_watermark{-1};
    int64_t told_last_stable_offset{-1};
    int64_t told_log_start_offset{-1};
};

// What a response said about one partition, as far as a session cares.
struct fetch_outcome {
    int16_t error_code{0};
    int64_t high_watermark{-1};
    int64_t last_stable_offset{-1};
    int64_t log_start_offset{-1};
    size_t record_bytes{0};
};

class fetch_session {
public:
    using clock = std::chrono::steady_clock;

    fetch_session(int32_t id, bool uses_topic_ids, clock::time_point now);

    int32_t id() const { return _id; }
    // The epoch the next incremental request must carry.
    int32_t epoch() const { return _epoch; }
    bool uses_topic_ids() const { return _uses_topic_ids; }
    size_t size() const { return _partitions.size(); }
    clock::time_point created() const { return _created; }
    clock::time_point last_used() const { return _last_used; }

    // Adds or updates every partition of the request, forgets those it lists.
    void apply(const protocol::fetch_request& request);
    // The partitions to read, in the session's order.
    std::vector<fetch_partition> partitions() const;
    // Whether an incremental response must carry this partition, and if so
    // remembers what it tells the client. A partition that returned records
    // moves to the back, so that the others get the byte budget first next
    // time (Kafka does the same).
    bool must_answer(const fetch_partition& p, const fetch_outcome& outcome);
    // Marks a partition told after a full response.
    void told(const fetch_partition& p, const fetch_outcome& outcome);
    void advance(clock::time_point now);

private:
    using key = std::pair<std::string, int32_t>;
    key key_of(const std::string& topic, const protocol::uuid& id,
               int32_t partition) const;
    fetch_partition* find(const fetch_partition& p);

    int32_t _id;
    int32_t _epoch{1};
    bool _uses_topic_ids;
    clock::time_point _created;
    clock::time_point _last_used;
    std::list<fetch_partition> _partitions;
    std::map<key, std::list<fetch_partition>::iterator> _index;
};

// What a Fetch request reads once its session fields are applied.
struct fetch_context {
    // A session error (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH,
    // FETCH_SESSION_TOPIC_ID_ERROR): answered with nothing else.
    error_code error{error_code::none};
    // Null for a sessionless fetch (and when the cache had no room).
    std::shared_ptr<fetch_session> session;
    bool incremental{false};
    std::vector<fetch_partition> partitions;
};

class fetch_session_cache {
public:
    using clock = fetch_session::clock;

    struct limits {
        // max.incremental.fetch.session.cache.slots, this shard's share.
        size_t max_sessions{1000};
        // min.incremental.fetch.session.eviction.ms
        std::chrono::milliseconds eviction{120000};
    };

    // Session ids carry the shard in their low bits, so an id is never
    // found on a shard that did not create it.
    fetch_session_cache(limits l, uint32_t shard, uint32_t shards, uint64_t seed);

    fetch_context open(const protocol::fetch_request& request, int16_t version,
                       clock::time_point now);

    size_t size() const { return _sessions.size(); }
    const fetch_session* find(int32_t id) const;

private:
    std::shared_ptr<fetch_session> create(bool uses_topic_ids, size_t partitions,
                                          clock::time_point now);
    bool make_room(size_t partitions, clock::time_point now);
    int32_t new_id();

    limits _limits;
    uint32_t _shard;
    uint32_t _shards;
    uint64_t _rng;
    std::unordered_map<int32_t, std::shared_ptr<fetch_session>> _sessions;
};

} // namespace kafka
