#include "kafka/protocol/messages/create_topics.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/topic_creation.h"

namespace kafka::handlers {

result create_topics(request_context& ctx) {
    auto request = decode_request<protocol::create_topics_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::create_topics_response response;
    for (const auto& t : request->topics) {
        auto& out = response.topics.emplace_back();
        out.name = t.name;
        topic_request want{t.name, t.num_partitions, t.replication_factor, {}};
        std::optional<creation_error> refused;
        for (const auto& c : t.configs) {
            if (!c.value) {
                continue; // null: the default
            }
            want.configs[c.name] = *c.value;
        }
        if (!t.assignments.empty()) {
            refused = creation_error{error_code::invalid_request,
                                     "manual replica assignment is not supported"};
        }
        auto checked = refused
            ? std::variant<cluster::topic_metadata, creation_error>(*refused)
            : check_topic(ctx.node, std::move(want));
        if (auto* e = std::get_if<creation_error>(&checked)) {
            out.error_code = static_cast<int16_t>(e->code);
            out.error_message = e->message;
            continue;
        }
        auto meta = std::get<cluster::topic_metadata>(std::move(checked));
        out.num_partitions = meta.partitions;
        out.replication_factor = meta.replication_factor;
        if (request->validate_only) {
            if (ctx.node.topics->find(meta.name)) {
                out.error_code = static_cast<int16_t>(error_code::topic_already_exists);
                out.error_message = "topic '" + meta.name + "' already exists";
            }
            continue;
        }
        out.topic_id = meta.id;
        auto task = create_on_controller(ctx.node, std::move(meta));
        auto e = co_await std::move(task);
        out.error_code = static_cast<int16_t>(to_error_code(e));
        if (e == cluster::controller_errc::topic_exists) {
            out.error_message = "topic '" + t.name + "' already exists";
            out.topic_id = {};
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
