#include "kafka/protocol/messages/offset_for_leader_epoch.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/partition_calls.h"
#include "storage/log_manager.h"

namespace kafka::handlers {
namespace {

struct epoch_end {
    error_code error{error_code::none};
    int32_t epoch{-1};
    int64_t end_offset{-1};
};

} // namespace

result offset_for_leader_epoch(request_context& ctx) {
    auto request = decode_request<protocol::offset_for_leader_epoch_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::offset_for_leader_epoch_response response;
    for (const auto& t : request->topics) {
        auto& topic_out = response.topics.emplace_back();
        topic_out.topic = t.topic;
        const auto* meta = ctx.node.topics->find(t.topic);
        for (const auto& p : t.partitions) {
            auto& out = topic_out.partitions.emplace_back();
            out.partition = p.partition;
            if (!has_partition(meta, p.partition)) {
                out.error_code =
                    static_cast<int16_t>(error_code::unknown_topic_or_partition);
                continue;
            }
            if (auto e =
                    check_leader_epoch(p.current_leader_epoch,
                                       leader_epoch_of(ctx.node, t.topic, p.partition));
                e != error_code::none) {
                out.error_code = static_cast<int16_t>(e);
                continue;
            }
            int32_t wanted = p.leader_epoch;
            auto task = on_partition(
                ctx.node, t.topic, p.partition, [wanted](cluster::partition* part) {
                    if (part == nullptr) {
                        return epoch_end{error_code::unknown_topic_or_partition};
                    }
                    auto found = part->end_offset_for(model::term_id(wanted));
                    if (!found) {
                        return epoch_end{};
                    }
                    return epoch_end{error_code::none,
                                     static_cast<int32_t>(found->epoch()), found->end()};
                });
            auto found = co_await std::move(task);
            out.error_code = static_cast<int16_t>(found.error);
            out.leader_epoch = found.epoch;
            out.end_offset = found.end_offset;
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
