#include "kafka/protocol/messages/produce.h"
#include "base/vassert.h"
#include "cluster/partition_manager.h"
#include "cluster/topic_table.h"
#include "config/properties.h"
#include "kafka/protocol/compression_rules.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/fetch_waiters.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/partition_calls.h"
#include "kafka/server/handlers/topic_config.h"
#include "kafka/server/handlers/txn_calls.h"
#include "model/batch_walker.h"
#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/log_manager.h"

#include <fmt/format.h>

#include <chrono>
#include <limits>

namespace kafka::handlers {
namespace {

using partition_in = protocol::produce_request::partition_produce_data;
using partition_out = protocol::produce_response::partition_produce_response;

// Produce v0-v2 stay advertised for old clients' feature detection (as in
// Kafka 4.0) but carry the old message formats, which are not served.
constexpr int16_t first_served_version = 3;
// v11 answers a transactional write to a partition never added with
// TRANSACTION_ABORTABLE; from v12 (transaction version 2) the write adds it.
constexpr int16_t first_abortable_version = 11;
constexpr int16_t first_implicit_add_version = 12;

struct appended {
    error_code error{error_code::none};
    // A transactional batch whose transaction is not open here yet: its
    // coordinator must confirm the producer added the partition first.
    bool needs_verification{false};
    int64_t base_offset{-1};
    int64_t log_start_offset{-1};
    // A producer's retry answered with the original batch's offsets: its
    // timestamp is the log append time Kafka answers with.
    std::optional<int64_t> duplicate_timestamp;
};

using record_error = protocol::produce_response::batch_index_and_error_message;

// Why a partition's batch was refused: Kafka's error, and from v8 which
// records were at fault (KIP-467) and a message.
struct refusal {
    error_code code{error_code::none};
    std::vector<record_error> record_errors;
    std::optional<std::string> message;
};

// What a topic's configs ask of a produced batch.
struct topic_rules {
    int64_t max_batch_bytes;
    bool log_append_time;
    int64_t before_max_ms;
    int64_t after_max_ms;
    // Set when compression.type names a codec rather than "producer".
    std::optional<model::compression_type> compression;
};

std::optional<model::compression_type> codec_named(std::string_view name) {
    if (name == "producer") {
        return std::nullopt;
    }
    if (name == "uncompressed") {
        return model::compression_type::none;
    }
    for (uint8_t id = 0; id <= model::max_compression_id; ++id) {
        auto c = static_cast<model::compression_type>(id);
        if (model::to_string(c) == name) {
            return c;
        }
    }
    return std::nullopt;
}

topic_rules rules_of(const backend& node, const cluster::topic_metadata& topic) {
    namespace props = config::properties;
    // max.message.bytes is the topic's name for the broker's message.max.bytes.
    bool own_limit =
        topic.configs.contains(std::string(props::max_message_bytes.definition.name));
    return {
        .max_batch_bytes = own_limit ? topic_value(node, topic, props::max_message_bytes)
                                     : node.message_max_bytes,
        .log_append_time =
            topic_value(node, topic, props::message_timestamp_type) == "LogAppendTime",
        .before_max_ms = topic_value(node, topic, props::message_timestamp_before_max_ms),
        .after_max_ms = topic_value(node, topic, props::message_timestamp_after_max_ms),
        .compression = codec_named(topic_value(node, topic, props::compression_type))};
}

// Kafka's answer to a batch that does not parse (ProduceRequest,
// ByteBufferLogInputStream, LogValidator): bytes that are not a batch at
// all, or fail their CRC, are corrupt (CORRUPT_MESSAGE, which producers
// retry); a whole batch whose contents break the format is an invalid
// record (INVALID_RECORD, which they do not).
error_code produce_error(model::batch_errc e) {
    using model::batch_errc;
    switch (e) {
        case batch_errc::bad_length:
        case batch_errc::invalid_magic:
        case batch_errc::crc_mismatch:
        case batch_errc::unsupported_compression:
        case batch_errc::bad_compressed_data:
            return error_code::corrupt_message;
        case batch_errc::uncompressed_too_large:
            return error_code::message_too_large;
        case batch_errc::invalid_timestamp:
            return error_code::invalid_timestamp;
        case batch_errc::truncated:
        case batch_errc::unsupported_magic:
        case batch_errc::invalid_record_count:
        case batch_errc::invalid_record:
        case batch_errc::invalid_offsets:
        case batch_errc::invalid_control_record:
        case batch_errc::trailing_bytes:
            return error_code::invalid_record;
    }
    return error_code::corrupt_message;
}

// What only a broker writes, or an idempotent producer's batch without
// its sequence: refused as LogValidator does.
std::optional<refusal> check_producer_fields(const model::record_batch& batch) {
    const auto& h = batch.header();
    if (h.is_control()) {
        return refusal{
            error_code::invalid_record, {}, "a client may not write control batches"};
    }
    if (h.producer_id != model::no_producer_id && h.base_sequence < 0) {
        return refusal{error_code::invalid_record,
                       {},
                       "a batch with a producer id needs a base sequence"};
    }
    return std::nullopt;
}

// The one batch a v2 produce carries for a partition, checked as Kafka's
// LogValidator does; or the error to answer with.
std::variant<model::record_batch, refusal> parse(const partition_in& in, int16_t version,
                                                 int64_t max_bytes) {
    if (!in.records || in.records->empty()) {
        return refusal{error_code::invalid_record, {}, "no record batch"};
    }
    if (static_cast<int64_t>(in.records->size_bytes()) > max_bytes) {
        return refusal{error_code::message_too_large};
    }
    model::parse_options options;
    options.produce_rules = true;
    model::batch_walker walker(in.records->share(), options);
    auto first = walker.next();
    if (!first) {
        return refusal{produce_error(first.code()), {}, first.error_value().message};
    }
    if (!first->has_value() || walker.partial_bytes() > 0) {
        return refusal{error_code::invalid_record, {}, "not a whole record batch"};
    }
    // Magic 2 allows exactly one batch per partition and request.
    auto second = walker.next();
    if (!second || second->has_value() || walker.partial_bytes() > 0) {
        return refusal{error_code::invalid_record, {}, "more than one batch"};
    }
    auto& batch = **first;
    if (auto e = protocol::compression_error(protocol::api_key::produce, version,
                                             batch.compression());
        e != error_code::none) {
        return refusal{e};
    }
    if (auto refused = check_producer_fields(batch)) {
        return std::move(*refused);
    }
    return std::move(batch);
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Under CreateTime, every record's timestamp must lie within the topic's
// bounds around now; each one outside is named (KIP-467).
std::optional<refusal> check_timestamps(const model::record_batch& batch,
                                        const topic_rules& rules, int64_t now) {
    const auto& range = batch.record_timestamps();
    auto lowest = rules.before_max_ms > now ? std::numeric_limits<int64_t>::min()
                                            : now - rules.before_max_ms;
    auto highest = rules.after_max_ms > std::numeric_limits<int64_t>::max() - now
        ? std::numeric_limits<int64_t>::max()
        : now + rules.after_max_ms;
    if (!range || (range->min >= lowest && range->max <= highest)) {
        return std::nullopt;
    }
    auto bounds = fmt::format("[{}, {}]", lowest, highest);
    refusal r{error_code::invalid_timestamp, {}, std::nullopt};
    auto reader =
        model::record_reader::open(batch, model::parse_options{}.max_uncompressed_bytes);
    for (int32_t index = 0; reader; ++index) {
        auto next = reader->next();
        if (!next || *next == nullptr) {
            break;
        }
        auto ts = (*next)->timestamp;
        if (ts != model::no_timestamp && (ts < lowest || ts > highest)) {
            r.record_errors.push_back({.batch_index = index,
                                       .batch_index_error_message = fmt::format(
                                           "timestamp {} is outside {}", ts, bounds)});
        }
    }
    r.message = fmt::format("{} record(s) with a timestamp outside {} "
                            "(message.timestamp.before.max.ms, "
                            "message.timestamp.after.max.ms)",
                            r.record_errors.size(), bounds);
    return r;
}

// Applies the topic's rules to a parsed batch: timestamps checked or
// stamped, compression changed when the topic asks for another codec.
// Returns the log append time (-1 under CreateTime), or the refusal.
std::variant<int64_t, refusal> apply_rules(model::record_batch& batch,
                                           const topic_rules& rules) {
    int64_t now = now_ms();
    // Known from parsing; a recompressed batch is not parsed again.
    auto range = batch.record_timestamps();
    if (!rules.log_append_time) {
        if (auto refused = check_timestamps(batch, rules, now)) {
            return std::move(*refused);
        }
    }
    if (rules.compression && *rules.compression != batch.compression()) {
        auto recompressed = model::record_batch_builder::recompress(
            batch, *rules.compression, model::parse_options{}.max_uncompressed_bytes);
        if (!recompressed) {
            return refusal{
                error_code::corrupt_message, {}, recompressed.error_value().message};
        }
        batch = std::move(*recompressed);
    }
    if (rules.log_append_time) {
        batch.set_max_timestamp(model::timestamp_type::log_append_time, now);
        return now;
    }
    // Kafka keeps the records' own largest timestamp, whatever the
    // producer wrote in the header.
    if (range && batch.header().max_timestamp != range->max) {
        batch.set_max_timestamp(model::timestamp_type::create_time, range->max);
    }
    return int64_t{-1};
}

// Whether a producer's transaction is open in this partition: then its
// coordinator has the partition in it, and a transactional batch needs no
// check (KIP-890's verification) beyond the epoch the append checks.
bool open_here(const storage::disk_log& log, const model::record_batch_header& h) {
    const auto* e = log.producers().find(h.producer_id);
    return e != nullptr && e->epoch == h.producer_epoch
        && e->transaction_first_offset.has_value();
}

// KIP-890: before a transaction's first batch in a partition, its
// coordinator confirms the producer added the partition (v3-v11), or adds it
// (v12). A coordinator that is busy (the transaction before still ending)
// is answered NOT_ENOUGH_REPLICAS, which producers retry, as Kafka does.
runtime::awaitable<error_code> check_in_txn(backend& node, int16_t version,
                                            const std::optional<std::string>& id,
                                            const model::record_batch_header& h,
                                            txn::topic_partition tp) {
    vassert(id && !id->empty(), "a transactional batch without its id reached the check");
    if (version >= first_implicit_add_version) {
        auto added =
            add_in_txn(node, *id, h.producer_id, h.producer_epoch, std::move(tp));
        auto e = co_await std::move(added);
        co_return is_coordinator_busy(e) ? error_code::not_enough_replicas : e;
    }
    auto verified =
        verify_in_txn(node, *id, h.producer_id, h.producer_epoch, std::move(tp));
    auto e = co_await std::move(verified);
    co_return is_coordinator_busy(e) ? error_code::not_enough_replicas
                                     : not_added_for(e, version, first_abortable_version);
}

void answer_refusal(partition_out& out, refusal r) {
    out.error_code = static_cast<int16_t>(r.code);
    out.base_offset = -1;
    out.log_start_offset = -1;
    out.record_errors = std::move(r.record_errors);
    out.error_message = std::move(r.message);
}

runtime::awaitable<void> produce_partition(
    backend& node, const std::string& topic, int16_t version, int16_t acks,
    const std::optional<std::string>& transactional_id, const partition_in& in,
    partition_out& out) {
    out.index = in.index;
    const auto* meta = node.topics->find(topic);
    if (!has_partition(meta, in.index)) {
        answer_refusal(out, {error_code::unknown_topic_or_partition});
        co_return;
    }
    auto rules = rules_of(node, *meta);
    auto parsed = parse(in, version, rules.max_batch_bytes);
    if (auto* r = std::get_if<refusal>(&parsed)) {
        answer_refusal(out, std::move(*r));
        co_return;
    }
    auto batch = std::get<model::record_batch>(std::move(parsed));
    auto applied = apply_rules(batch, rules);
    if (auto* r = std::get_if<refusal>(&applied)) {
        answer_refusal(out, std::move(*r));
        co_return;
    }
    out.log_append_time_ms = std::get<int64_t>(applied);
    // A transactional batch names its transactional id in the request, as
    // Kafka requires (and authorizes), whether or not its transaction is
    // open in this partition already.
    if (batch.header().is_transactional()
        && (!transactional_id || transactional_id->empty())) {
        answer_refusal(out, {error_code::transactional_id_authorization_failed});
        co_return;
    }
    auto ack =
        acks == -1 ? cluster::replicate_ack::majority : cluster::replicate_ack::leader;
    auto min_in_sync = static_cast<size_t>(std::max<int64_t>(
        topic_value(node, *meta, config::properties::min_insync_replicas), 1));
    auto attempt = [&](bool verified) {
        // Consumers see the batch once it commits (the partition's commit
        // listener wakes them).
        auto append = [batch = batch.share(), ack, min_in_sync, verified](
                          cluster::partition* p) mutable -> runtime::awaitable<appended> {
            if (p == nullptr) {
                // The topic has the partition (checked above): its
                // replicas are on other nodes.
                co_return appended{error_code::not_leader_or_follower};
            }
            // acks=all needs min.insync.replicas in sync, capped at the
            // replica count as Kafka 4 does (KIP-966).
            const auto& raft = p->raft();
            if (ack == cluster::replicate_ack::majority && raft.is_leader()
                && raft.in_sync_replicas() < std::min(min_in_sync, raft.voters())) {
                co_return appended{error_code::not_enough_replicas};
            }
            if (batch.header().is_transactional() && !verified
                && !open_here(p->log(), batch.header())) {
                co_return appended{.needs_verification = true};
            }
            auto task = p->replicate(std::move(batch), ack);
            auto r = co_await std::move(task);
            if (!r) {
                co_return appended{to_error_code(r.code())};
            }
            appended out{.base_offset = r->base_offset(),
                         .log_start_offset = p->log_start()};
            if (r->duplicate) {
                out.duplicate_timestamp = r->duplicate_timestamp;
            }
            co_return out;
        };
        return on_partition(node, topic, in.index, std::move(append));
    };
    auto first = attempt(false);
    auto result = co_await std::move(first);
    if (result.needs_verification) {
        // Asked of the coordinator only for a transaction's first batch here.
        auto checked = check_in_txn(node, version, transactional_id, batch.header(),
                                    txn::topic_partition(topic, in.index));
        error_code e = co_await std::move(checked);
        if (e != error_code::none) {
            answer_refusal(out, {e});
            co_return;
        }
        auto second = attempt(true);
        result = co_await std::move(second);
    }
    if (result.error != error_code::none) {
        answer_refusal(out, {result.error});
        co_return;
    }
    out.base_offset = result.base_offset;
    out.log_start_offset = result.log_start_offset;
    if (result.duplicate_timestamp) {
        out.log_append_time_ms = *result.duplicate_timestamp;
    }
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
                answer_refusal(outs[j],
                               {version < first_served_version
                                    ? error_code::unsupported_version
                                    : error_code::invalid_required_acks});
                continue;
            }
            work.push_back(produce_partition(ctx.node, t.name, version, acks,
                                             request->transactional_id, in, outs[j]));
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
