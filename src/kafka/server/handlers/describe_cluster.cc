#include "kafka/protocol/messages/describe_cluster.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"

namespace kafka::handlers {
namespace {

// DescribeCluster v1's endpoint types: brokers, or controllers (which a
// broker's listener does not describe).
constexpr int8_t broker_endpoints = 1;

} // namespace

result describe_cluster(request_context& ctx) {
    auto request = decode_request<protocol::describe_cluster_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    const auto& cfg = ctx.config;
    protocol::describe_cluster_response response;
    response.endpoint_type = request->endpoint_type;
    if (request->endpoint_type != broker_endpoints) {
        response.error_code = static_cast<int16_t>(error_code::unsupported_endpoint_type);
        response.error_message = "this listener describes brokers only";
        co_return encode_response(response, ctx.version());
    }
    response.cluster_id = cluster_id_of(ctx.node, cfg.cluster_id);
    response.controller_id = controller_id(ctx.node);
    for_each_broker(ctx.node, {cfg.advertised.host, cfg.advertised.port},
                    [&](int32_t id, const cluster::node_address& at) {
                        response.brokers.push_back(
                            {.broker_id = id, .host = at.host, .port = at.port});
                    });
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
