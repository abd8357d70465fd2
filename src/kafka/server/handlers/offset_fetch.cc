#include "kafka/protocol/messages/offset_fetch.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {
namespace {

// Several groups in one request came with v8 (KIP-709).
constexpr int16_t first_batched_version = 8;

using wanted_topics =
    std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>;
using found_offsets = std::map<std::pair<std::string, int32_t>, group::committed>;

struct group_answer {
    error_code error{error_code::none};
    found_offsets offsets;
};

runtime::awaitable<group_answer> fetch_group(backend& node, const std::string& group_id,
                                             wanted_topics topics) {
    auto located = locate_group(node, group_id);
    if (auto* e = std::get_if<error_code>(&located)) {
        co_return group_answer{*e, {}};
    }
    auto task =
        on_coordinator(node, std::get<coordinator_place>(located),
                       [group_id, topics = std::move(topics)](group::group_manager& m,
                                                              int32_t partition) mutable {
                           return m.fetch_offsets(partition, group_id, std::move(topics));
                       });
    auto [e, offsets] = co_await std::move(task);
    co_return group_answer{e, std::move(offsets)};
}

// The partitions of an answer, grouped by topic, as either response shape
// wants them. With require_stable (KIP-447), a partition with an offset in
// an open transaction is UNSTABLE_OFFSET_COMMIT: the consumer asks again.
template<typename Topic>
std::vector<Topic> topics_of(const found_offsets& offsets, bool require_stable) {
    std::vector<Topic> out;
    for (const auto& [key, c] : offsets) {
        if (out.empty() || out.back().name != key.first) {
            out.emplace_back().name = key.first;
        }
        auto& p = out.back().partitions.emplace_back();
        p.partition_index = key.second;
        if (require_stable && c.unstable) {
            p.committed_offset = -1;
            p.committed_leader_epoch = -1;
            p.error_code = static_cast<int16_t>(error_code::unstable_offset_commit);
            continue;
        }
        p.committed_offset = c.offset;
        p.committed_leader_epoch = c.leader_epoch;
        p.metadata = c.metadata;
    }
    return out;
}

} // namespace

result offset_fetch(request_context& ctx) {
    auto request = decode_request<protocol::offset_fetch_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::offset_fetch_response response;
    if (ctx.version() >= first_batched_version) {
        for (const auto& g : request->groups) {
            wanted_topics topics;
            if (g.topics) {
                topics.emplace();
                for (const auto& t : *g.topics) {
                    topics->emplace_back(t.name, t.partition_indexes);
                }
            }
            auto task = fetch_group(ctx.node, g.group_id, std::move(topics));
            auto answer = co_await std::move(task);
            auto& out = response.groups.emplace_back();
            out.group_id = g.group_id;
            out.error_code = static_cast<int16_t>(answer.error);
            out.topics =
                topics_of<protocol::offset_fetch_response::offset_fetch_response_topics>(
                    answer.offsets, request->require_stable);
        }
        co_return encode_response(response, ctx.version());
    }
    wanted_topics topics;
    if (request->topics) {
        topics.emplace();
        for (const auto& t : *request->topics) {
            topics->emplace_back(t.name, t.partition_indexes);
        }
    }
    auto task = fetch_group(ctx.node, request->group_id, std::move(topics));
    auto answer = co_await std::move(task);
    response.error_code = static_cast<int16_t>(answer.error);
    response.topics = topics_of<protocol::offset_fetch_response::topic>(
        answer.offsets, request->require_stable);
    if (ctx.version() < 2 && answer.error != error_code::none) {
        // No top-level error before v2: each partition carries it.
        for (auto& t : response.topics) {
            for (auto& p : t.partitions) {
                p.error_code = static_cast<int16_t>(answer.error);
            }
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
