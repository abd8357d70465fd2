#include "kafka/protocol/messages/delete_topics.h"
#include "cluster/controller.h"
#include "cluster/topic_table.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/topic_creation.h"

namespace kafka::handlers {
namespace {

// Topics are named in topic_names up to v5 and by name or id from v6.
constexpr int16_t first_topic_state_version = 6;

runtime::awaitable<cluster::controller_errc> delete_on_controller(backend& node,
                                                                  std::string name) {
    auto* ctl = node.controller;
    auto task = runtime::submit_to(runtime::shard_id(0), [ctl, name = std::move(name)] {
        return ctl->delete_topic(name);
    });
    co_return co_await std::move(task);
}

} // namespace

result delete_topics(request_context& ctx) {
    auto request = decode_request<protocol::delete_topics_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    std::vector<protocol::delete_topics_request::delete_topic_state> wanted =
        request->topics;
    if (ctx.version() < first_topic_state_version) {
        for (const auto& n : request->topic_names) {
            wanted.push_back({.name = n});
        }
    }
    protocol::delete_topics_response response;
    for (const auto& w : wanted) {
        auto& out = response.responses.emplace_back();
        out.name = w.name;
        out.topic_id = w.topic_id;
        const auto* t =
            w.name ? ctx.node.topics->find(*w.name) : ctx.node.topics->find(w.topic_id);
        if (t == nullptr) {
            out.error_code =
                static_cast<int16_t>(w.name ? error_code::unknown_topic_or_partition
                                            : error_code::unknown_topic_id);
            continue;
        }
        out.name = t->name;
        out.topic_id = t->id;
        auto task = delete_on_controller(ctx.node, t->name);
        auto e = co_await std::move(task);
        out.error_code = static_cast<int16_t>(to_error_code(e));
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
