#include "kafka/protocol/messages/metadata.h"

#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/topic_creation.h"
#include "kafka/server/handlers/topic_rules.h"

namespace kafka::handlers {
namespace {

protocol::metadata_response::topic describe(const backend& node,
                                            const cluster::topic_metadata& t) {
    protocol::metadata_response::topic out;
    out.name = t.name;
    out.topic_id = t.id;
    out.is_internal = is_internal_topic(t.name);
    for (int32_t p = 0; p < t.partitions; ++p) {
        describe_leadership(node, out.partitions.emplace_back(), t, p);
    }
    return out;
}

} // namespace

result metadata(request_context& ctx) {
    auto request = decode_request<protocol::metadata_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    const auto& cfg = ctx.config;
    protocol::metadata_response response;
    for_each_broker(ctx.node, {cfg.advertised.host, cfg.advertised.port},
                    [&](int32_t id, const cluster::node_address& at) {
                        response.brokers.push_back(
                            {.node_id = id, .host = at.host, .port = at.port});
                    });
    response.cluster_id = cluster_id_of(ctx.node, cfg.cluster_id);
    response.controller_id = controller_id(ctx.node);
    const auto& topics = *ctx.node.topics;
    // v0 has no null list: an empty list there, like null later, means all.
    bool all = !request->topics || (ctx.version() == 0 && request->topics->empty());
    if (all) {
        for (const auto& [name, t] : topics.topics()) {
            response.topics.push_back(describe(ctx.node, t));
        }
        co_return encode_response(response, ctx.version());
    }
    // Auto-creation: always on in v0-v3, asked for from v4.
    bool may_create = ctx.node.auto_create_topics
        && (ctx.version() < 4 || request->allow_auto_topic_creation);
    for (const auto& want : *request->topics) {
        // A topic asked for by id (v10+) may carry an empty name, as the Java
        // admin client sends it: a non-zero id decides.
        bool by_id = want.topic_id != protocol::uuid{} || !want.name;
        const cluster::topic_metadata* t =
            by_id ? topics.find(want.topic_id) : topics.find(*want.name);
        if (t == nullptr && !by_id && may_create) {
            auto checked = check_topic(ctx.node, topic_request{*want.name});
            if (auto* m = std::get_if<cluster::topic_metadata>(&checked)) {
                auto task = create_on_controller(ctx.node, std::move(*m));
                auto e = co_await std::move(task);
                if (e != cluster::controller_errc::none
                    && e != cluster::controller_errc::topic_exists) {
                    protocol::metadata_response::topic out;
                    out.error_code = static_cast<int16_t>(to_error_code(e));
                    out.name = want.name;
                    response.topics.push_back(std::move(out));
                    continue;
                }
                t = topics.find(*want.name);
                if (t == nullptr) {
                    // Made by the controller's leader, not applied here yet:
                    // as Kafka says of a topic being created.
                    protocol::metadata_response::topic out;
                    out.error_code =
                        static_cast<int16_t>(error_code::leader_not_available);
                    out.name = want.name;
                    response.topics.push_back(std::move(out));
                    continue;
                }
            } else {
                protocol::metadata_response::topic out;
                out.error_code =
                    static_cast<int16_t>(std::get<creation_error>(checked).code);
                out.name = want.name;
                response.topics.push_back(std::move(out));
                continue;
            }
        }
        if (t == nullptr) {
            protocol::metadata_response::topic out;
            out.error_code =
                static_cast<int16_t>(by_id ? error_code::unknown_topic_id
                                           : error_code::unknown_topic_or_partition);
            out.name = want.name;
            out.topic_id = want.topic_id;
            response.topics.push_back(std::move(out));
            continue;
        }
        response.topics.push_back(describe(ctx.node, *t));
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
