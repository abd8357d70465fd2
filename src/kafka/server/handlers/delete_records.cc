#include "kafka/protocol/messages/delete_records.h"
#include "cluster/topic_table.h"
#include "config/properties.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/partition_calls.h"
#include "kafka/server/handlers/topic_config.h"
#include "storage/log_manager.h"

#include <algorithm>

namespace kafka::handlers {
namespace {

// DeleteRecords' offset -1: up to the high watermark.
constexpr int64_t to_high_watermark = -1;

struct deleted {
    error_code error{error_code::none};
    int64_t low_watermark{-1};
};

deleted delete_before(cluster::partition& p, int64_t offset) {
    int64_t high_watermark = p.high_watermark();
    int64_t target = offset == to_high_watermark ? high_watermark : offset;
    if (target < 0 || target > high_watermark) {
        return {error_code::offset_out_of_range, p.log_start()};
    }
    if (target <= p.log_start()) {
        return {error_code::none, p.log_start()};
    }
    if (auto r = p.prefix_truncate(target); !r) {
        return {to_error_code(r.code()), p.log_start()};
    }
    return {error_code::none, p.log_start()};
}

} // namespace

result delete_records(request_context& ctx) {
    auto request = decode_request<protocol::delete_records_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::delete_records_response response;
    for (const auto& t : request->topics) {
        auto& topic_out = response.topics.emplace_back();
        topic_out.name = t.name;
        const auto* meta = ctx.node.topics->find(t.name);
        // As in Kafka, a log that only compacts keeps its records: deleting
        // them is a policy violation.
        bool compact_only = false;
        if (meta != nullptr) {
            auto policy =
                topic_value(ctx.node, *meta, config::properties::cleanup_policy);
            compact_only =
                std::find(policy.begin(), policy.end(), "delete") == policy.end();
        }
        for (const auto& p : t.partitions) {
            auto& out = topic_out.partitions.emplace_back();
            out.partition_index = p.partition_index;
            out.low_watermark = -1;
            if (!has_partition(meta, p.partition_index)) {
                out.error_code =
                    static_cast<int16_t>(error_code::unknown_topic_or_partition);
                continue;
            }
            if (compact_only) {
                out.error_code = static_cast<int16_t>(error_code::policy_violation);
                continue;
            }
            int64_t offset = p.offset;
            auto task = on_partition(
                ctx.node, t.name, p.partition_index, [offset](cluster::partition* part) {
                    return part == nullptr
                        ? deleted{error_code::unknown_topic_or_partition}
                        : delete_before(*part, offset);
                });
            auto result = co_await std::move(task);
            out.error_code = static_cast<int16_t>(result.error);
            out.low_watermark = result.low_watermark;
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
