#include "kafka/protocol/messages/produce.h"
#include "cluster/partition_manager.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/compression_rules.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/fetch_waiters.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/partition_calls.h"
#include "model/batch_walker.h"
#include "storage/log_manager.h"

#include <charconv>

namespace kafka::handlers {
namespace {

using partition_in = protocol::produce_request::partition_produce_data;
using partition_out = protocol::produce_response::partition_produce_response;

// Produce v0-v2 stay advertised for old clients' feature detection (as in
// Kafka 4.0) but carry the old message formats, which are not served.
constexpr int16_t first_served_version = 3;

struct appended {
    error_code error{error_code::none};
    int64_t base_offset{-1};
    int64_t log_start_offset{-1};
};

// The largest batch the topic takes: its max.message.bytes, or the
// broker's message.max.bytes.
int64_t max_batch_bytes(const backend& node, const cluster::topic_metadata& topic) {
    if (auto it = topic.configs.find("max.message.bytes"); it != topic.configs.end()) {
        int64_t v = 0;
        auto [end, ec] =
            std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
        if (ec == std::errc{}) {
            return v;
        }
    }
    return node.message_max_bytes;
}

// The one batch a v2 produce carries for a partition, checked as Kafka's
// LogValidator does; or the error to answer with.
std::variant<model::record_batch, error_code> validate(const partition_in& in,
                                                       int16_t version,
                                                       int64_t max_bytes) {
    if (!in.records || in.records->empty()) {
        return error_code::corrupt_message;
    }
    if (static_cast<int64_t>(in.records->size_bytes()) > max_bytes) {
        return error_code::message_too_large;
    }
    model::parse_options options;
    options.produce_rules = true;
    model::batch_walker walker(in.records->share(), options);
    auto first = walker.next();
    if (!first) {
        return first.code() == model::batch_errc::unsupported_magic
            ? error_code::unsupported_version
            : error_code::corrupt_message;
    }
    if (!first->has_value() || walker.partial_bytes() > 0) {
        return error_code::corrupt_message;
    }
    // Magic 2 allows exactly one batch per partition and request.
    auto second = walker.next();
    if (!second || second->has_value() || walker.partial_bytes() > 0) {
        return error_code::invalid_record;
    }
    auto& batch = **first;
    if (auto e = protocol::compression_error(protocol::api_key::produce, version,
                                             batch.compression());
        e != error_code::none) {
        return e;
    }
    return std::move(batch);
}

runtime::awaitable<void> produce_partition(backend& node, const std::string& topic,
                                           int16_t version, int16_t acks,
                                           const partition_in& in, partition_out& out) {
    out.index = in.index;
    const auto* meta = node.topics->find(topic);
    if (meta == nullptr || in.index < 0 || in.index >= meta->partitions) {
        out.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
        co_return;
    }
    auto checked = validate(in, version, max_batch_bytes(node, *meta));
    if (auto* e = std::get_if<error_code>(&checked)) {
        out.error_code = static_cast<int16_t>(*e);
        co_return;
    }
    auto batch = std::get<model::record_batch>(std::move(checked));
    bool wait_for_flush = acks == -1;
    auto append =
        [batch = std::move(batch), wait_for_flush, waiters = &node.waiting_fetches, topic,
         partition = in.index](
            storage::log_manager::managed* m) mutable -> runtime::awaitable<appended> {
        if (m == nullptr) {
            co_return appended{error_code::unknown_topic_or_partition};
        }
        auto r = co_await m->flusher->append(batch, model::term_id(0));
        if (!r) {
            co_return appended{to_error_code(r.code())};
        }
        // Consumers read up to the log end, so they may see it now.
        wake_fetches(*waiters, topic, partition);
        if (wait_for_flush) {
            // acks=all on a single node: acknowledged once on disk.
            if (auto f = co_await m->flusher->flush(); !f) {
                co_return appended{to_error_code(f.code())};
            }
        }
        co_return appended{error_code::none, r->base_offset(),
                           m->log->offsets().log_start()};
    };
    auto task = on_partition(node, topic, in.index, std::move(append));
    auto result = co_await std::move(task);
    out.error_code = static_cast<int16_t>(result.error);
    out.base_offset = result.base_offset;
    out.log_start_offset = result.log_start_offset;
}

} // namespace

result produce(request_context& ctx) {
    auto request = decode_request<protocol::produce_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    int16_t version = ctx.version();
    int16_t acks = request->acks;
    protocol::produce_response response;
    std::vector<runtime::awaitable<void>> work;
    for (const auto& t : request->topic_data) {
        auto& topic_out = response.responses.emplace_back();
        topic_out.name = t.name;
        topic_out.partition_responses.resize(t.partition_data.size());
    }
    for (size_t i = 0; i < request->topic_data.size(); ++i) {
        const auto& t = request->topic_data[i];
        auto& outs = response.responses[i].partition_responses;
        for (size_t j = 0; j < t.partition_data.size(); ++j) {
            const auto& in = t.partition_data[j];
            if (version < first_served_version
                || (acks != 0 && acks != 1 && acks != -1)) {
                outs[j].index = in.index;
                outs[j].error_code = static_cast<int16_t>(
                    version < first_served_version ? error_code::unsupported_version
                                                   : error_code::invalid_required_acks);
                continue;
            }
            work.push_back(
                produce_partition(ctx.node, t.name, version, acks, in, outs[j]));
        }
    }
    auto all = when_all(std::move(work));
    co_await std::move(all);
    if (acks == 0) {
        ctx.respond = false;
    }
    co_return encode_response(response, version);
}

} // namespace kafka::handlers
