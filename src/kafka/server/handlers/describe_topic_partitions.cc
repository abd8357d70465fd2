#include "kafka/protocol/messages/describe_topic_partitions.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/topic_rules.h"

#include <algorithm>
#include <set>
#include <string>

namespace kafka::handlers {
namespace {

using request_t = protocol::describe_topic_partitions_request;
using response_t = protocol::describe_topic_partitions_response;

// The most partitions one response describes, whatever the request asks
// for: the default of Kafka's max.request.partition.size.limit.
constexpr int32_t max_partitions_per_response = 2000;

// The topics to describe, sorted and each once, from the cursor's topic
// on: every topic for an empty list, otherwise those named.
std::set<std::string> topics_to_describe(const cluster::topic_table& topics,
                                         const request_t& request) {
    std::string from = request.cursor ? request.cursor->topic_name : std::string();
    std::set<std::string> out;
    if (request.topics.empty()) {
        for (auto it = topics.topics().lower_bound(from); it != topics.topics().end();
             ++it) {
            out.insert(it->first);
        }
        return out;
    }
    for (const auto& t : request.topics) {
        if (t.name >= from) {
            out.insert(t.name);
        }
    }
    return out;
}

// Kafka refuses a cursor that points outside the request: every topic
// named gets INVALID_REQUEST.
std::optional<response_t> refuse_cursor(const request_t& request,
                                        const std::set<std::string>& names) {
    if (!request.cursor) {
        return std::nullopt;
    }
    bool listed = request.topics.empty() || names.contains(request.cursor->topic_name);
    if (listed && request.cursor->partition_index >= 0) {
        return std::nullopt;
    }
    response_t response;
    for (const auto& t : request.topics) {
        auto& out = response.topics.emplace_back();
        out.error_code = static_cast<int16_t>(error_code::invalid_request);
        out.name = t.name;
    }
    return response;
}

response_t::topic unknown_topic(const std::string& name) {
    response_t::topic out;
    out.error_code = static_cast<int16_t>(invalid_topic_name(name)
                                              ? error_code::invalid_topic_exception
                                              : error_code::unknown_topic_or_partition);
    out.name = name;
    out.is_internal = is_internal_topic(name);
    return out;
}

// Partitions [first, end) of `t`.
response_t::topic describe(const backend& node, const cluster::topic_metadata& t,
                           int32_t first, int32_t end) {
    response_t::topic out;
    out.name = t.name;
    out.topic_id = t.id;
    out.is_internal = is_internal_topic(t.name);
    for (int32_t p = first; p < end; ++p) {
        auto& part = out.partitions.emplace_back();
        describe_leadership(node, part, t, p);
        // No eligible leader replicas (KIP-966) beyond the in-sync one.
        part.eligible_leader_replicas = std::vector<int32_t>{};
        part.last_known_elr = std::vector<int32_t>{};
    }
    return out;
}

} // namespace

// KIP-966's paged Metadata: topics in name order, at most a limit of
// partitions a response, and a cursor where the next page starts.
result describe_topic_partitions(request_context& ctx) {
    auto request = decode_request<request_t>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    const auto& topics = *ctx.node.topics;
    auto names = topics_to_describe(topics, *request);
    if (auto refused = refuse_cursor(*request, names)) {
        co_return encode_response(*refused, ctx.version());
    }
    response_t response;
    int64_t remaining =
        std::clamp(request->response_partition_limit, 1, max_partitions_per_response);
    for (const auto& name : names) {
        if (remaining == 0) {
            response.next_cursor = response_t::cursor{.topic_name = name};
            break;
        }
        const auto* t = topics.find(name);
        if (t == nullptr) {
            // Asked for by name; a topic gone since the cursor was made is
            // skipped when all topics are listed.
            if (!request->topics.empty()) {
                response.topics.push_back(unknown_topic(name));
            }
            continue;
        }
        int32_t first = request->cursor && request->cursor->topic_name == name
            ? request->cursor->partition_index
            : 0;
        auto end =
            static_cast<int32_t>(std::min<int64_t>(t->partitions, first + remaining));
        response.topics.push_back(describe(ctx.node, *t, first, end));
        if (end < t->partitions) {
            response.next_cursor =
                response_t::cursor{.topic_name = name, .partition_index = end};
            break;
        }
        remaining -= static_cast<int64_t>(response.topics.back().partitions.size());
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
