#include "kafka/protocol/messages/list_offsets.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/partition_calls.h"
#include "storage/log_manager.h"

namespace kafka::handlers {
namespace {

// ListOffsets' special timestamps.
constexpr int64_t latest = -1;
constexpr int64_t earliest = -2;
constexpr int64_t max_timestamp = -3;
constexpr int64_t earliest_local = -4;
constexpr int64_t latest_tiered = -5;

struct lookup {
    error_code error{error_code::none};
    int64_t timestamp{-1};
    int64_t offset{-1};
    int32_t leader_epoch{-1};
};

// ListOffsets' isolation_level 1: the latest offset is the last stable one.
constexpr int8_t read_committed = 1;

// The leader epoch of the batch holding Kafka offset `offset` (of the last
// batch, for the log end), as Kafka answers ListOffsets; -1 for none.
int32_t epoch_at(const cluster::partition& p, int64_t offset) {
    if (offset < 0) {
        return -1;
    }
    auto raw = p.to_raw(offset);
    int32_t epoch = -1;
    for (const auto& e : p.log().epochs().entries()) {
        if (e.start > raw) {
            break;
        }
        epoch = static_cast<int32_t>(e.epoch());
    }
    return epoch;
}

lookup find_offset(cluster::partition& p, int64_t timestamp, int8_t isolation) {
    if (!p.raft().is_leader()) {
        return {error_code::not_leader_or_follower};
    }
    if (!p.high_watermark_known()) {
        // A new leader's first entry is not committed yet: the offsets it
        // would give may be behind (KIP-207); clients retry.
        return {error_code::offset_not_available};
    }
    auto with_epoch = [&](lookup l) {
        l.leader_epoch = epoch_at(p, l.offset);
        return l;
    };
    switch (timestamp) {
        case latest:
            return with_epoch({error_code::none, -1,
                               isolation == read_committed ? p.last_stable_offset()
                                                           : p.high_watermark()});
        case earliest:
        case earliest_local:
            return with_epoch({error_code::none, -1, p.log_start()});
        case latest_tiered:
            // Nothing is tiered yet.
            return {error_code::none, -1, -1};
        case max_timestamp: {
            // KIP-734: the first record carrying the largest timestamp; the
            // index knows its batch, the timequery finds the record in it.
            auto m = p.max_timestamp();
            if (!m) {
                return {error_code::none, -1, -1};
            }
            timestamp = m->timestamp;
            break;
        }
        default:
            if (timestamp < 0) {
                return {error_code::invalid_request};
            }
            break;
    }
    auto found = p.timequery(timestamp);
    if (!found) {
        return {to_error_code(found.code())};
    }
    // As Kafka: only what the isolation level lets a consumer read.
    auto readable =
        isolation == read_committed ? p.last_stable_offset() : p.high_watermark();
    if (!*found || (*found)->offset() >= readable) {
        return {error_code::none, -1, -1}; // no readable record that recent
    }
    return with_epoch({error_code::none, (*found)->timestamp, (*found)->offset()});
}

} // namespace

result list_offsets(request_context& ctx) {
    auto request = decode_request<protocol::list_offsets_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::list_offsets_response response;
    for (const auto& t : request->topics) {
        auto& topic_out = response.topics.emplace_back();
        topic_out.name = t.name;
        const auto* meta = ctx.node.topics->find(t.name);
        for (const auto& p : t.partitions) {
            auto& out = topic_out.partitions.emplace_back();
            out.partition_index = p.partition_index;
            if (!has_partition(meta, p.partition_index)) {
                out.error_code =
                    static_cast<int16_t>(error_code::unknown_topic_or_partition);
                continue;
            }
            int64_t ts = p.timestamp;
            int8_t isolation = request->isolation_level;
            auto task = on_partition(ctx.node, t.name, p.partition_index,
                                     [ts, isolation](cluster::partition* part) {
                                         // No replica here: the partition's are
                                         // on other nodes.
                                         return part == nullptr
                                             ? lookup{error_code::not_leader_or_follower}
                                             : find_offset(*part, ts, isolation);
                                     });
            auto found = co_await std::move(task);
            out.error_code = static_cast<int16_t>(found.error);
            out.timestamp = found.timestamp;
            out.offset = found.offset;
            out.leader_epoch = found.leader_epoch;
            if (ctx.version() == 0 && found.offset >= 0) {
                out.old_style_offsets.push_back(found.offset);
            }
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
