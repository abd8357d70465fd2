#include "kafka/protocol/messages/fetch.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/compression_rules.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/partition_calls.h"
#include "storage/log_manager.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace kafka::handlers {
namespace {

using partition_in = protocol::fetch_request::fetch_partition;
using partition_out = protocol::fetch_response::partition_data;

// Topic IDs replace names in Fetch from v13.
constexpr int16_t first_topic_id_version = 13;
// A fetch that found less than min_bytes looks again this often until its
// max_wait_ms is up.
constexpr auto poll_interval = std::chrono::milliseconds(5);

struct read_outcome {
    error_code error{error_code::none};
    int64_t high_watermark{-1};
    int64_t log_start_offset{-1};
    std::optional<base::iobuf> records;
};

runtime::awaitable<void> fetch_partition(backend& node, const std::string& topic,
                                         const partition_in& in, size_t max_bytes,
                                         bool at_least_one, partition_out& out) {
    out.partition_index = in.partition;
    int64_t offset = in.fetch_offset;
    auto read = [offset, max_bytes,
                 at_least_one](storage::log_manager::managed* m) -> read_outcome {
        if (m == nullptr) {
            return {error_code::unknown_topic_or_partition};
        }
        auto& log = *m->log;
        auto o = log.offsets();
        // A single node's high watermark is its log end: every append is
        // "replicated" once it is in the log.
        read_outcome r{error_code::none, o.next_offset(), o.log_start()};
        if (offset < o.log_start() || offset > o.next_offset()) {
            r.error = error_code::offset_out_of_range;
            return r;
        }
        auto data = log.read(model::offset(offset), max_bytes,
                             model::offset(o.next_offset() - 1), at_least_one);
        if (!data) {
            r.error = to_error_code(data.code());
            return r;
        }
        r.records = std::move(data->data);
        return r;
    };
    auto task = on_partition(node, topic, in.partition, std::move(read));
    auto result = co_await std::move(task);
    out.error_code = static_cast<int16_t>(result.error);
    out.high_watermark = result.high_watermark;
    out.last_stable_offset = result.high_watermark;
    out.log_start_offset = result.log_start_offset;
    out.records = std::move(result.records);
    if (!out.records) {
        out.records = base::iobuf{};
    }
}

// One pass over every partition asked for; returns the bytes found.
runtime::awaitable<size_t> fetch_once(request_context& ctx,
                                      const protocol::fetch_request& request,
                                      protocol::fetch_response& response) {
    bool by_id = ctx.version() >= first_topic_id_version;
    response.responses.clear();
    size_t budget = static_cast<size_t>(std::max(request.max_bytes, 0));
    size_t found = 0;
    for (const auto& t : request.topics) {
        auto& topic_out = response.responses.emplace_back();
        topic_out.topic = t.topic;
        topic_out.topic_id = t.topic_id;
        const cluster::topic_metadata* meta =
            by_id ? ctx.node.topics->find(t.topic_id) : ctx.node.topics->find(t.topic);
        for (const auto& p : t.partitions) {
            auto& out = topic_out.partitions.emplace_back();
            out.partition_index = p.partition;
            if (meta == nullptr || p.partition < 0 || p.partition >= meta->partitions) {
                out.error_code = static_cast<int16_t>(
                    by_id && meta == nullptr ? error_code::unknown_topic_id
                                             : error_code::unknown_topic_or_partition);
                out.records = base::iobuf{};
                continue;
            }
            size_t partition_budget =
                std::min(budget > found ? budget - found : 0,
                         static_cast<size_t>(std::max(p.partition_max_bytes, 0)));
            // The first partition with data gets at least one batch, however
            // large, so that a consumer can always make progress.
            co_await fetch_partition(ctx.node, meta->name, p, partition_budget,
                                     found == 0, out);
            if (out.records) {
                found += out.records->size_bytes();
            }
        }
    }
    co_return found;
}

} // namespace

result fetch(request_context& ctx) {
    auto request = decode_request<protocol::fetch_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::fetch_response response;
    // Fetch sessions (KIP-227) are not kept yet: a full fetch is answered
    // without one (session 0), an incremental one is told the session is
    // unknown, which makes clients fall back to full fetches.
    if (request->session_id != 0 || request->session_epoch > 0) {
        response.error_code =
            static_cast<int16_t>(error_code::fetch_session_id_not_found);
        co_return encode_response(response, ctx.version());
    }
    auto deadline = std::chrono::steady_clock::now()
        + std::chrono::milliseconds(std::max(request->max_wait_ms, 0));
    auto ex = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer(ex);
    while (true) {
        size_t found = co_await fetch_once(ctx, *request, response);
        if (found >= static_cast<size_t>(std::max(request->min_bytes, 0))
            || std::chrono::steady_clock::now() >= deadline) {
            break;
        }
        timer.expires_after(poll_interval);
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
