#include "kafka/protocol/messages/fetch.h"
#include "cluster/partition_manager.h"
#include "cluster/topic_table.h"
#include "config/properties.h"
#include "kafka/protocol/compression_rules.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/fetch_session.h"
#include "kafka/server/fetch_waiters.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/partition_calls.h"
#include "kafka/server/handlers/topic_config.h"
#include "storage/log_manager.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace kafka::handlers {
namespace {

using partition_out = protocol::fetch_response::partition_data;

// Topic IDs replace names in Fetch from v13.
constexpr int16_t first_topic_id_version = 13;
// A fetch that finds the shard's memory budget spent waits for this much
// (or its max_bytes, if less) rather than for all it may read.
constexpr size_t min_reservation_bytes = size_t{1} << 20;

// One partition's read, sent to the shard that owns it.
// Fetch's isolation_level 1: only what is below the last stable offset,
// with the aborted transactions among it.
constexpr int8_t read_committed = 1;

struct read_job {
    size_t index; // into the fetch's partitions
    std::string topic;
    int32_t partition;
    int64_t offset;
    int32_t max_bytes;
    int8_t isolation;
};

using aborted_out = protocol::fetch_response::aborted_transaction;

struct read_outcome {
    error_code error{error_code::none};
    int64_t high_watermark{-1};
    int64_t last_stable_offset{-1};
    int64_t log_start_offset{-1};
    base::iobuf records;
    std::optional<std::vector<aborted_out>> aborted;
};

// Kafka's rule for zstd and old fetchers (KIP-110): a topic whose
// compression.type is zstd is not served to Fetch below v10. Under
// compression.type=producer the batches are served as they are.
bool compression_allowed(const backend& node, const cluster::topic_metadata& topic,
                         int16_t version) {
    if (protocol::compression_allowed(protocol::api_key::fetch, version,
                                      model::compression_type::zstd)) {
        return true; // every compression is
    }
    return topic_value(node, topic, config::properties::compression_type) != "zstd";
}

read_outcome read_one(cluster::partition* p, const read_job& job, size_t budget,
                      bool at_least_one) {
    // The topic has the partition (checked by the caller): no replica
    // here, or one that follows, is not where clients fetch.
    if (p == nullptr || !p->raft().is_leader()) {
        return {error_code::not_leader_or_follower};
    }
    int64_t high_watermark = p->high_watermark();
    int64_t stable = p->last_stable_offset();
    int64_t log_start = p->log_start();
    read_outcome r{error_code::none, high_watermark, stable, log_start};
    // Past the high watermark up to the log end is there but not
    // committed: a follower's fetch of it waits, a consumer's too.
    if (job.offset < log_start || job.offset > p->log_end()) {
        r.error = error_code::offset_out_of_range;
        return r;
    }
    bool committed_only = job.isolation == read_committed;
    int64_t end = committed_only ? stable : high_watermark;
    if (job.offset >= end) {
        return r;
    }
    auto limit = std::min(budget, static_cast<size_t>(std::max(job.max_bytes, 0)));
    auto data = p->read(job.offset, limit, end - 1, at_least_one);
    if (!data) {
        r.error = to_error_code(data.code());
        return r;
    }
    if (committed_only && !data->data.empty()) {
        auto& aborted = r.aborted.emplace();
        auto raw_last = p->to_raw(data->last_offset());
        for (const auto& a :
             p->log().producers().aborted_between(p->to_raw(job.offset), raw_last)) {
            aborted.push_back({.producer_id = a.producer_id,
                               .first_offset = p->to_kafka(a.first_offset)});
        }
    }
    r.records = std::move(data->data);
    return r;
}

// Reads one shard's share of a fetch there, in order, within budget bytes.
// The first partition with data gets at least one batch, however large,
// when nothing was found before it, so that a consumer always progresses.
runtime::awaitable<std::vector<read_outcome>> read_on_owner(backend& node,
                                                            runtime::shard_id owner,
                                                            std::vector<read_job> jobs,
                                                            size_t budget,
                                                            bool found_any) {
    auto* manager = node.partitions[owner()];
    auto read = [manager, jobs = std::move(jobs), budget, found_any]() mutable {
        std::vector<read_outcome> out;
        out.reserve(jobs.size());
        size_t left = budget;
        for (const auto& job : jobs) {
            auto r =
                read_one(manager->get(job.topic, job.partition), job, left, !found_any);
            size_t n = r.records.size_bytes();
            found_any = found_any || n > 0;
            left -= std::min(left, n);
            out.push_back(std::move(r));
        }
        return out;
    };
    co_return co_await runtime::submit_to(owner, std::move(read));
}

class fetch_reader {
public:
    fetch_reader(request_context& ctx, const protocol::fetch_request& request,
                 const std::vector<fetch_partition>& partitions)
      : _ctx(ctx)
      , _request(request)
      , _partitions(partitions)
      , _outs(partitions.size()) {
        plan();
    }

    // One pass over every partition, shard by shard with the byte budget
    // carried across; returns the record bytes found.
    runtime::awaitable<size_t> read() {
        // What this pass read before goes; the budget bounds the new read.
        _memory.release();
        auto budget = co_await reserve_memory();
        size_t found = 0;
        for (auto& [owner, jobs] : _by_shard) {
            auto task = read_on_owner(_ctx.node, owner, jobs,
                                      budget > found ? budget - found : 0, found > 0);
            auto results = co_await std::move(task);
            for (size_t i = 0; i < jobs.size(); ++i) {
                found += take(jobs[i].index, std::move(results[i]));
            }
        }
        // Held until the response is written; a first batch larger than
        // the reservation overdraws it.
        _memory.resize(found);
        co_return found;
    }

    // The memory the response will hold, for the connection to keep until
    // it is written.
    runtime::memory_budget::units take_memory() { return std::move(_memory); }

    bool any_error() const {
        return std::any_of(_outs.begin(), _outs.end(),
                           [](const auto& o) { return o.error_code != 0; });
    }
    // The partitions a long poll waits on: those that exist.
    std::vector<fetch_waiters::partition_key> readable() const {
        std::vector<fetch_waiters::partition_key> keys;
        for (const auto& [owner, jobs] : _by_shard) {
            for (const auto& j : jobs) {
                keys.emplace_back(j.topic, j.partition);
            }
        }
        return keys;
    }
    std::vector<partition_out>& outs() { return _outs; }

private:
    // Reserves what the shard's memory budget has free, up to max_bytes;
    // with nothing free, waits for a slice of it.
    runtime::awaitable<size_t> reserve_memory() {
        auto wanted = static_cast<size_t>(std::max(_request.max_bytes, 0));
        auto& budget = *_ctx.node.memory;
        _memory = budget.take_up_to(wanted);
        if (_memory.size() == 0 && wanted > 0) {
            auto waited = budget.wait_for(std::min(wanted, min_reservation_bytes));
            _memory = co_await std::move(waited);
        }
        co_return _memory.size();
    }

    // Resolves each partition's topic and owner shard once; those that do
    // not exist are answered now and never read.
    void plan() {
        bool by_id = _ctx.version() >= first_topic_id_version;
        auto shards = static_cast<unsigned>(_ctx.node.partitions.size());
        for (size_t i = 0; i < _partitions.size(); ++i) {
            const auto& p = _partitions[i];
            auto& out = _outs[i];
            out.partition_index = p.partition;
            out.records = base::iobuf{};
            const auto* meta = by_id ? _ctx.node.topics->find(p.topic_id)
                                     : _ctx.node.topics->find(p.topic);
            if (!has_partition(meta, p.partition)) {
                set_error(out,
                          by_id && meta == nullptr
                              ? error_code::unknown_topic_id
                              : error_code::unknown_topic_or_partition);
                continue;
            }
            if (auto e = check_leader_epoch(
                    p.current_leader_epoch,
                    leader_epoch_of(_ctx.node, meta->name, p.partition));
                e != error_code::none) {
                set_error(out, e);
                continue;
            }
            if (!compression_allowed(_ctx.node, *meta, _ctx.version())) {
                set_error(out, error_code::unsupported_compression_type);
                continue;
            }
            auto owner =
                cluster::partition_manager::owner(meta->name, p.partition, shards);
            auto slot = std::find_if(_by_shard.begin(), _by_shard.end(),
                                     [owner](const auto& s) { return s.first == owner; });
            if (slot == _by_shard.end()) {
                slot = _by_shard.insert(_by_shard.end(), {owner, {}});
            }
            slot->second.push_back({i, meta->name, p.partition, p.fetch_offset,
                                    p.max_bytes, _request.isolation_level});
        }
    }

    static void set_error(partition_out& out, error_code e) {
        out.error_code = static_cast<int16_t>(e);
        out.high_watermark = -1;
        out.last_stable_offset = -1;
        out.log_start_offset = -1;
    }

    size_t take(size_t index, read_outcome r) {
        auto& out = _outs[index];
        out.error_code = static_cast<int16_t>(r.error);
        out.high_watermark = r.high_watermark;
        out.last_stable_offset = r.last_stable_offset;
        out.log_start_offset = r.log_start_offset;
        out.aborted_transactions = std::move(r.aborted);
        size_t n = r.records.size_bytes();
        out.records = std::move(r.records);
        return n;
    }

    request_context& _ctx;
    const protocol::fetch_request& _request;
    const std::vector<fetch_partition>& _partitions;
    std::vector<partition_out> _outs;
    // Jobs per owner shard, shards in the order their first partition comes.
    std::vector<std::pair<runtime::shard_id, std::vector<read_job>>> _by_shard;
    runtime::memory_budget::units _memory;
};

// Reads until min_bytes are found, an error turns up or max_wait_ms is up.
// A waiting fetch sleeps until an append to one of its partitions wakes it.
runtime::awaitable<void> long_poll(request_context& ctx,
                                   const protocol::fetch_request& request,
                                   fetch_reader& reader) {
    auto min_bytes = static_cast<size_t>(std::max(request.min_bytes, 0));
    auto deadline = std::chrono::steady_clock::now()
        + std::chrono::milliseconds(std::max(request.max_wait_ms, 0));
    size_t found = co_await reader.read();
    if (found >= min_bytes || reader.any_error()
        || std::chrono::steady_clock::now() >= deadline) {
        co_return;
    }
    auto ex = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer(ex, deadline);
    auto& here = *ctx.node.waiting_fetches[runtime::this_shard()()];
    fetch_waiters::waiter waiter(here, reader.readable());
    waiter.on_wake([&timer] { timer.cancel(); });
    while (true) {
        // Registered before this read, so an append it misses still wakes us.
        waiter.reset();
        found = co_await reader.read();
        if (found >= min_bytes || reader.any_error()
            || std::chrono::steady_clock::now() >= deadline) {
            co_return;
        }
        if (!waiter.woken()) {
            boost::system::error_code ec;
            co_await timer.async_wait(
                boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
    }
}

// Groups consecutive partitions of one topic into the response's topics.
void build_response(const std::vector<fetch_partition>& partitions,
                    std::vector<partition_out>& outs, const std::vector<bool>& include,
                    protocol::fetch_response& response) {
    for (size_t i = 0; i < partitions.size(); ++i) {
        if (!include[i]) {
            continue;
        }
        const auto& p = partitions[i];
        auto& topics = response.responses;
        if (topics.empty() || topics.back().topic != p.topic
            || topics.back().topic_id != p.topic_id) {
            auto& t = topics.emplace_back();
            t.topic = p.topic;
            t.topic_id = p.topic_id;
        }
        topics.back().partitions.push_back(std::move(outs[i]));
    }
}

fetch_outcome outcome_of(const partition_out& out) {
    return {out.error_code, out.high_watermark, out.last_stable_offset,
            out.log_start_offset, out.records ? out.records->size_bytes() : 0};
}

} // namespace

result fetch(request_context& ctx) {
    auto request = decode_request<protocol::fetch_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::fetch_response response;
    auto session = ctx.node.fetch_sessions->open(*request, ctx.version(),
                                                 std::chrono::steady_clock::now());
    if (session.error != error_code::none) {
        response.error_code = static_cast<int16_t>(session.error);
        co_return encode_response(response, ctx.version());
    }
    fetch_reader reader(ctx, *request, session.partitions);
    auto poll = long_poll(ctx, *request, reader);
    co_await std::move(poll);

    // A full response carries every partition; an incremental one only
    // those with something new (KIP-227).
    auto& outs = reader.outs();
    std::vector<bool> include(outs.size(), true);
    if (session.session) {
        for (size_t i = 0; i < outs.size(); ++i) {
            const auto& p = session.partitions[i];
            if (session.incremental) {
                include[i] = session.session->must_answer(p, outcome_of(outs[i]));
            } else {
                session.session->told(p, outcome_of(outs[i]));
            }
        }
        response.session_id = session.session->id();
    }
    build_response(session.partitions, outs, include, response);
    ctx.response_memory = reader.take_memory();
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
