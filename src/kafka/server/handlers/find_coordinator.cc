#include "kafka/protocol/messages/find_coordinator.h"
#include "kafka/server/group/group_manager.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/topic_creation.h"
#include "kafka/server/txn/txn_manager.h"

namespace kafka::handlers {
namespace {

using coordinator_out = protocol::find_coordinator_response::coordinator;

// Kafka's key types.
constexpr int8_t group_key = 0;
constexpr int8_t transaction_key = 1;
// Batched keys came with v4 (KIP-699).
constexpr int16_t first_batched_version = 4;

// __consumer_offsets and __transaction_state exist once anyone looks for
// a coordinator of their kind, as in Kafka: compacted, with
// offsets.topic.num.partitions and transaction.state.log.num.partitions
// partitions.
runtime::awaitable<error_code> ensure_coordinator_topic(backend& node,
                                                        std::string_view name,
                                                        int32_t partitions) {
    if (node.topics->find(name) != nullptr) {
        co_return error_code::none;
    }
    topic_request want{std::string(name),
                       partitions,
                       1,
                       {{"cleanup.policy", "compact"}, {"segment.bytes", "104857600"}}};
    auto checked = check_topic(node, std::move(want));
    if (auto* e = std::get_if<creation_error>(&checked)) {
        co_return e->code;
    }
    auto task =
        create_on_controller(node, std::get<cluster::topic_metadata>(std::move(checked)));
    auto e = co_await std::move(task);
    if (e != cluster::controller_errc::none
        && e != cluster::controller_errc::topic_exists) {
        co_return error_code::coordinator_not_available;
    }
    co_return error_code::none;
}

coordinator_out answer(const request_context& ctx, std::string key, error_code e,
                       std::optional<std::string> message) {
    coordinator_out c;
    c.key = std::move(key);
    c.error_code = static_cast<int16_t>(e);
    c.error_message = std::move(message);
    if (e == error_code::none) {
        // A single node coordinates every group.
        c.node_id = ctx.config.node_id();
        c.host = ctx.config.advertised.host;
        c.port = ctx.config.advertised.port;
    } else {
        c.node_id = -1;
        c.port = -1;
    }
    return c;
}

} // namespace

result find_coordinator(request_context& ctx) {
    auto request = decode_request<protocol::find_coordinator_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    std::vector<std::string> keys = ctx.version() >= first_batched_version
        ? request->coordinator_keys
        : std::vector<std::string>{request->key};
    std::vector<coordinator_out> answers;
    for (auto& key : keys) {
        if (request->key_type != group_key && request->key_type != transaction_key) {
            answers.push_back(answer(ctx, std::move(key), error_code::invalid_request,
                                     "unknown key type"));
            continue;
        }
        bool is_group = request->key_type == group_key;
        if (key.empty()) {
            answers.push_back(
                answer(ctx, std::move(key), error_code::invalid_request,
                       is_group ? "empty group id" : "empty transactional id"));
            continue;
        }
        auto task = is_group
            ? ensure_coordinator_topic(ctx.node, group::offsets_topic,
                                       ctx.node.offsets_topic_partitions)
            : ensure_coordinator_topic(ctx.node, txn::state_topic,
                                       ctx.node.transaction_state_partitions);
        auto e = co_await std::move(task);
        answers.push_back(answer(ctx, std::move(key), e, std::nullopt));
    }
    protocol::find_coordinator_response response;
    if (ctx.version() >= first_batched_version) {
        response.coordinators = std::move(answers);
    } else if (!answers.empty()) {
        auto& a = answers.front();
        response.error_code = a.error_code;
        response.error_message = a.error_message;
        response.node_id = a.node_id;
        response.host = a.host;
        response.port = a.port;
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
