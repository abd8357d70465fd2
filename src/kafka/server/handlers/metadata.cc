#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {

// A single broker that holds no topics yet: every named topic is unknown.
// Topic creation and partitions arrive with the data path.
result metadata(request_context& ctx) {
    auto request = decode_request<protocol::metadata_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    const auto& cfg = ctx.config;
    protocol::metadata_response response;
    response.brokers.push_back({.node_id = cfg.node_id(),
                                .host = cfg.advertised.host,
                                .port = cfg.advertised.port});
    response.cluster_id = cfg.cluster_id;
    response.controller_id = cfg.node_id();
    // v0 has no null list: an empty list there, like null later, means all.
    if (request->topics) {
        for (const auto& t : *request->topics) {
            protocol::metadata_response::topic out;
            out.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
            out.name = t.name;
            out.topic_id = t.topic_id;
            response.topics.push_back(std::move(out));
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
