#include "kafka/protocol/messages/elect_leaders.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"

#include <string>

namespace kafka::handlers {
namespace {

// KIP-460's election types (v0 has only the preferred one).
constexpr int8_t preferred_election = 0;
constexpr int8_t unclean_election = 1;

using request_topic = protocol::elect_leaders_request::topic_partitions_entry;
using partition_out = protocol::elect_leaders_response::partition_result_entry;

// Kafka's controller's answer for one partition. The node is the only
// replica of each: the preferred leader and a live one already, so
// neither kind of election is needed.
partition_out elect(const cluster::topic_table& topics, const std::string& topic,
                    int32_t partition) {
    partition_out out;
    out.partition_id = partition;
    const auto* meta = topics.find(topic);
    if (!has_partition(meta, partition)) {
        out.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
        out.error_message = meta == nullptr
            ? "No such topic as " + topic
            : "No such partition as " + topic + "-" + std::to_string(partition);
        return out;
    }
    out.error_code = static_cast<int16_t>(error_code::election_not_needed);
    out.error_message = "Leader election not needed for topic partition.";
    return out;
}

// Kafka refuses a request with an unknown election type whole: the error
// at the top (v1+) and on every partition asked for.
protocol::elect_leaders_response refuse(const protocol::elect_leaders_request& request) {
    protocol::elect_leaders_response response;
    response.error_code = static_cast<int16_t>(error_code::invalid_request);
    auto message = "Unknown election type " + std::to_string(request.election_type);
    for (const auto& t :
         request.topic_partitions.value_or(std::vector<request_topic>{})) {
        auto& out = response.replica_election_results.emplace_back();
        out.topic = t.topic;
        for (int32_t p : t.partitions) {
            out.partition_result.push_back(
                {.partition_id = p,
                 .error_code = static_cast<int16_t>(error_code::invalid_request),
                 .error_message = message});
        }
    }
    return response;
}

} // namespace

result elect_leaders(request_context& ctx) {
    auto request = decode_request<protocol::elect_leaders_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    if (request->election_type != preferred_election
        && request->election_type != unclean_election) {
        co_return encode_response(refuse(*request), ctx.version());
    }
    const auto& topics = *ctx.node.topics;
    protocol::elect_leaders_response response;
    if (!request->topic_partitions) {
        // Every partition: Kafka lists each topic but only the partitions
        // whose election was needed, which here is none.
        for (const auto& [name, t] : topics.topics()) {
            response.replica_election_results.emplace_back().topic = name;
        }
        co_return encode_response(response, ctx.version());
    }
    for (const auto& t : *request->topic_partitions) {
        auto& out = response.replica_election_results.emplace_back();
        out.topic = t.topic;
        for (int32_t p : t.partitions) {
            out.partition_result.push_back(elect(topics, t.topic, p));
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
