#include "config/properties.h"

#include "config/endpoint.h"
#include "config/registry.h"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace config {
namespace {

using namespace std::string_view_literals;

constexpr int64_t int32_max = 2147483647;
constexpr int64_t int64_max = 9223372036854775807;

std::optional<std::string> is_listener(const value& v) {
    auto r = parse_listener(std::get<std::string>(v));
    if (!r) {
        return r.message();
    }
    return std::nullopt;
}

std::optional<std::string> are_voters(const value& v) {
    auto r = parse_voters(std::get<std::string>(v));
    if (!r) {
        return r.message();
    }
    return std::nullopt;
}

std::optional<std::string> is_listener_or_empty(const value& v) {
    if (std::get<std::string>(v).empty()) {
        return std::nullopt;
    }
    return is_listener(v);
}

// ---- node --------------------------------------------------------------

const property_definition node_id_def{
    .name = "node.id",
    .kind = value_kind::integer,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The id of this node in its cluster.",
    .default_value = int64_t{0},
    .min = 0,
    .max = int32_max,
};

const property_definition log_dir_def{
    .name = "log.dir",
    .kind = value_kind::string,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The directory holding this node's data: partition logs "
                     "and node-local metadata.",
    .default_value = std::string("./data"),
    .check = [](const value& v) -> std::optional<std::string> {
        if (std::get<std::string>(v).empty()) {
            return "must not be empty";
        }
        return std::nullopt;
    },
};

const property_definition listeners_def{
    .name = "listeners",
    .kind = value_kind::string,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The address the Kafka API listens on, "
                     "PLAINTEXT://host:port or host:port.",
    .default_value = std::string("PLAINTEXT://127.0.0.1:9092"),
    .check = is_listener,
};

const property_definition advertised_listeners_def{
    .name = "advertised.listeners",
    .kind = value_kind::string,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The Kafka address clients are told to connect to; "
                     "empty means the value of listeners.",
    .default_value = std::string(),
    .check = is_listener_or_empty,
};

const property_definition rpc_listener_def{
    .name = "rpc.listener",
    .kind = value_kind::string,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The address the internal RPC (Raft, the controller) "
                     "listens on, host:port; port 0 picks a free one.",
    .default_value = std::string("127.0.0.1:33145"),
    .check = is_listener,
};

const property_definition advertised_rpc_listener_def{
    .name = "advertised.rpc.listener",
    .kind = value_kind::string,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The internal RPC address other nodes are told to connect "
                     "to; empty means the address rpc.listener bound.",
    .default_value = std::string(),
    .check = is_listener_or_empty,
};

const property_definition controller_quorum_voters_def{
    .name = "controller.quorum.voters",
    .kind = value_kind::string,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The cluster's founding nodes, which vote in the controller "
                     "group: id@host:port of each one's internal RPC, comma "
                     "separated, the same on every node. Empty: this node is a "
                     "cluster of its own.",
    .default_value = std::string(),
    .check = are_voters,
};

const property_definition smp_def{
    .name = "smp",
    .kind = value_kind::integer,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The number of shards (one reactor thread each); 0 means "
                     "one per available core.",
    .default_value = int64_t{0},
    .min = 0,
    .max = 1024,
};

const property_definition pin_shards_def{
    .name = "pin.shards",
    .kind = value_kind::boolean,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "Pin each shard's thread to its own core. Turn off when "
                     "several nodes share a machine.",
    .default_value = true,
};

const property_definition log_level_def{
    .name = "log.level",
    .kind = value_kind::string,
    .scope = scope::node,
    .needs_restart = false,
    .documentation = "The lowest level of log lines written to stderr.",
    .default_value = std::string("info"),
    .allowed = {"trace"sv, "debug"sv, "info"sv, "warn"sv, "error"sv},
};

const property_definition socket_request_max_bytes_def{
    .name = "socket.request.max.bytes",
    .kind = value_kind::integer,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The largest Kafka request accepted; a connection that "
                     "announces a larger one is closed.",
    .default_value = int64_t{104857600},
    .min = 1,
    .max = int32_max,
};

const property_definition shutdown_grace_ms_def{
    .name = "shutdown.grace.ms",
    .kind = value_kind::integer,
    .scope = scope::node,
    .needs_restart = false,
    .documentation = "How long a stopping node lets in-flight requests "
                     "finish before it closes their connections.",
    .default_value = int64_t{10000},
    .min = 0,
    .max = int32_max,
};

const property_definition connections_max_idle_ms_def{
    .name = "connections.max.idle.ms",
    .kind = value_kind::integer,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "How long a connection may wait between requests before "
                     "the node closes it.",
    .default_value = int64_t{600000},
    .min = 1,
    .max = int64_max,
};

const property_definition queued_max_request_bytes_def{
    .name = "queued.max.request.bytes",
    .kind = value_kind::integer,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "The memory requests may hold at once, shared evenly "
                     "between the node's shards: request bodies being served "
                     "and the records fetches read for their responses. A "
                     "request that finds it spent waits, and its connection "
                     "reads nothing more until then, which slows the client "
                     "down instead of growing the node.",
    .default_value = int64_t{1073741824},
    .min = 1048576,
    .max = int64_max,
};

const property_definition max_incremental_fetch_session_cache_slots_def{
    .name = "max.incremental.fetch.session.cache.slots",
    .kind = value_kind::integer,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "How many incremental fetch sessions (KIP-227) the node "
                     "keeps, shared evenly between its shards. A consumer "
                     "without a session still fetches, just with full "
                     "requests.",
    .default_value = int64_t{1000},
    .min = 0,
    .max = int32_max,
};

const property_definition min_incremental_fetch_session_eviction_ms_def{
    .name = "min.incremental.fetch.session.eviction.ms",
    .kind = value_kind::integer,
    .scope = scope::node,
    .needs_restart = true,
    .documentation = "With every fetch session slot taken, a session idle "
                     "this long may be replaced by a new one, and a session "
                     "older than this by a new one with more partitions.",
    .default_value = int64_t{120000},
    .min = 0,
    .max = int64_max,
};

// ---- cluster -----------------------------------------------------------

const property_definition group_initial_rebalance_delay_ms_def{
    .name = "group.initial.rebalance.delay.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation =
        "How long a new group waits for more members before its first rebalance; each "
        "newcomer extends the wait, up to the rebalance timeout.",
    .default_value = int64_t{3000},
    .min = 0,
    .max = int32_max,
};

const property_definition group_min_session_timeout_ms_def{
    .name = "group.min.session.timeout.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "The shortest session timeout a group member may ask for.",
    .default_value = int64_t{6000},
    .min = 0,
    .max = int32_max,
};

const property_definition group_max_session_timeout_ms_def{
    .name = "group.max.session.timeout.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "The longest session timeout a group member may ask for.",
    .default_value = int64_t{1800000},
    .min = 0,
    .max = int32_max,
};

const property_definition group_max_size_def{
    .name = "group.max.size",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "The most members one group may have.",
    .default_value = int64_t{2147483647},
    .min = 1,
    .max = int32_max,
};

const property_definition offsets_topic_num_partitions_def{
    .name = "offsets.topic.num.partitions",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "The partitions of __consumer_offsets, fixed when the topic is "
                     "created (on the first FindCoordinator).",
    .default_value = int64_t{50},
    .min = 1,
    .max = int64_t{10000},
};

const property_definition offsets_retention_minutes_def{
    .name = "offsets.retention.minutes",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation =
        "How long the committed offsets of a group are kept after it becomes empty (or, "
        "for a group that never had members, after the commit).",
    .default_value = int64_t{10080},
    .min = 1,
    .max = int32_max,
};

const property_definition offsets_retention_check_interval_ms_def{
    .name = "offsets.retention.check.interval.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "How often expired offsets are looked for.",
    .default_value = int64_t{600000},
    .min = 1,
    .max = int64_max,
};

const property_definition producer_id_expiration_ms_def{
    .name = "producer.id.expiration.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "How long a partition remembers a producer id (its epoch and last "
                     "sequences) after that producer's last write.",
    .default_value = int64_t{86400000},
    .min = 1,
    .max = int32_max,
};

const property_definition producer_id_expiration_check_interval_ms_def{
    .name = "producer.id.expiration.check.interval.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "How often partitions look for producer ids to expire.",
    .default_value = int64_t{600000},
    .min = 1,
    .max = int32_max,
};

const property_definition transaction_state_log_num_partitions_def{
    .name = "transaction.state.log.num.partitions",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "The partitions of __transaction_state, fixed when the topic is "
                     "created (on the first FindCoordinator for a transactional id).",
    .default_value = int64_t{50},
    .min = 1,
    .max = int64_t{10000},
};

const property_definition transaction_max_timeout_ms_def{
    .name = "transaction.max.timeout.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "The longest transaction timeout a producer may ask for; "
                     "InitProducerId with a longer one is INVALID_TRANSACTION_TIMEOUT.",
    .default_value = int64_t{900000},
    .min = 1,
    .max = int32_max,
};

const property_definition transactional_id_expiration_ms_def{
    .name = "transactional.id.expiration.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "How long the coordinator keeps a transactional id whose producer "
                     "sent nothing (and has no transaction open).",
    .default_value = int64_t{604800000},
    .min = 1,
    .max = int32_max,
};

const property_definition transaction_abort_timed_out_transaction_cleanup_interval_ms_def{
    .name = "transaction.abort.timed.out.transaction.cleanup.interval.ms",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "How often the coordinator aborts transactions open longer than "
                     "their timeout (fencing their producer).",
    .default_value = int64_t{10000},
    .min = 1,
    .max = int32_max,
};

const property_definition offset_metadata_max_bytes_def{
    .name = "offset.metadata.max.bytes",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = true,
    .documentation = "The largest metadata string an offset commit may carry.",
    .default_value = int64_t{4096},
    .min = 0,
    .max = int32_max,
};

const property_definition auto_create_topics_enable_def{
    .name = "auto.create.topics.enable",
    .kind = value_kind::boolean,
    .scope = scope::cluster,
    .needs_restart = false,
    .documentation = "Create a topic when a client asks for its metadata "
                     "and it does not exist.",
    .default_value = true,
};

const property_definition message_max_bytes_def{
    .name = "message.max.bytes",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = false,
    .documentation = "The largest record batch accepted, unless a topic's "
                     "max.message.bytes says otherwise.",
    .default_value = int64_t{1048588},
    .min = 0,
    .max = int32_max,
};

const property_definition num_partitions_def{
    .name = "num.partitions",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = false,
    .documentation = "Partitions of a topic created without a count.",
    .default_value = int64_t{1},
    .min = 1,
    .max = int32_max,
};

const property_definition default_replication_factor_def{
    .name = "default.replication.factor",
    .kind = value_kind::integer,
    .scope = scope::cluster,
    .needs_restart = false,
    .documentation = "Replicas of a topic created without a replication "
                     "factor.",
    .default_value = int64_t{1},
    .min = 1,
    .max = 32767,
};

// ---- topic -------------------------------------------------------------

const property_definition cleanup_policy_def{
    .name = "cleanup.policy",
    .broker_name = "log.cleanup.policy",
    .kind = value_kind::string_list,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "What happens to old segments: delete (retention), "
                     "compact (keep the latest value per key), or both.",
    .default_value = string_list{"delete"},
    .allowed = {"delete"sv, "compact"sv},
};

const property_definition compression_type_def{
    .name = "compression.type",
    .broker_name = "compression.type",
    .kind = value_kind::string,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The compression of stored batches; producer keeps the "
                     "producer's.",
    .default_value = std::string("producer"),
    .allowed = {"producer"sv, "uncompressed"sv, "gzip"sv, "snappy"sv, "lz4"sv, "zstd"sv},
};

const property_definition max_message_bytes_def{
    .name = "max.message.bytes",
    .broker_name = "message.max.bytes",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The largest record batch this topic accepts.",
    .default_value = int64_t{1048588},
    .min = 0,
    .max = int32_max,
};

const property_definition message_timestamp_type_def{
    .name = "message.timestamp.type",
    .broker_name = "log.message.timestamp.type",
    .kind = value_kind::string,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Whose time a record carries: CreateTime keeps the "
                     "producer's, LogAppendTime stamps the broker's when the "
                     "batch is appended.",
    .default_value = std::string("CreateTime"),
    .allowed = {"CreateTime"sv, "LogAppendTime"sv},
};

const property_definition message_timestamp_before_max_ms_def{
    .name = "message.timestamp.before.max.ms",
    .broker_name = "log.message.timestamp.before.max.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Under CreateTime, how far in the past a record's "
                     "timestamp may lie; older records are refused with "
                     "INVALID_TIMESTAMP.",
    .default_value = int64_max,
    .min = 0,
    .max = int64_max,
};

const property_definition message_timestamp_after_max_ms_def{
    .name = "message.timestamp.after.max.ms",
    .broker_name = "log.message.timestamp.after.max.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Under CreateTime, how far in the future a record's "
                     "timestamp may lie; later records are refused with "
                     "INVALID_TIMESTAMP.",
    .default_value = int64_t{3600000},
    .min = 0,
    .max = int64_max,
};

// Accepted, stored and described so that tools setting it work; a single
// replica is always in sync. Raft (issue 15) refuses acks=all produces with
// NOT_ENOUGH_REPLICAS when fewer replicas than this are in sync.
const property_definition min_insync_replicas_def{
    .name = "min.insync.replicas",
    .broker_name = "min.insync.replicas",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The replicas that must hold a batch before an acks=all "
                     "produce is answered.",
    .default_value = int64_t{1},
    .min = 1,
    .max = 32767,
};

// Kafka's rule for compression.gzip.level: 1 to 9, or -1 for the default.
std::optional<std::string> gzip_level_check(const value& v) {
    if (std::get<int64_t>(v) == 0) {
        return std::string("expected 1 to 9, or -1");
    }
    return std::nullopt;
}

// Throttled replicas: "*" alone, or partition:broker pairs.
std::optional<std::string> throttled_replicas_check(const value& v) {
    const auto& items = std::get<string_list>(v);
    auto digits = [](std::string_view s) {
        return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
            return c >= '0' && c <= '9';
        });
    };
    for (const auto& item : items) {
        if (item == "*" && items.size() == 1) {
            continue;
        }
        auto colon = item.find(':');
        if (colon == std::string::npos || !digits(std::string_view(item).substr(0, colon))
            || !digits(std::string_view(item).substr(colon + 1))) {
            return std::string("expected * or partition:broker pairs");
        }
    }
    return std::nullopt;
}

// A ratio: a decimal from 0 to 1.
std::optional<std::string> ratio_check(const value& v) {
    double d = std::strtod(std::get<std::string>(v).c_str(), nullptr);
    if (!(d >= 0.0 && d <= 1.0)) {
        return std::string("expected a number from 0 to 1");
    }
    return std::nullopt;
}

const property_definition compression_gzip_level_def{
    .name = "compression.gzip.level",
    .broker_name = "compression.gzip.level",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The gzip level for batches this topic compresses (-1: the "
                     "codec's default). Accepted and shown, as Kafka's; atolld does "
                     "not act on it: it compresses at the codec's default level.",
    .default_value = int64_t{-1},
    .min = -1,
    .max = 9,
    .check = gzip_level_check,
};

const property_definition compression_lz4_level_def{
    .name = "compression.lz4.level",
    .broker_name = "compression.lz4.level",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The lz4 level for batches this topic compresses. Accepted and "
                     "shown, as Kafka's; atolld does not act on it: it compresses at "
                     "the codec's default level.",
    .default_value = int64_t{9},
    .min = 1,
    .max = 17,
};

const property_definition compression_zstd_level_def{
    .name = "compression.zstd.level",
    .broker_name = "compression.zstd.level",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The zstd level for batches this topic compresses. Accepted and "
                     "shown, as Kafka's; atolld does not act on it: it compresses at "
                     "the codec's default level.",
    .default_value = int64_t{3},
    .min = -131072,
    .max = 22,
};

const property_definition delete_retention_ms_def{
    .name = "delete.retention.ms",
    .broker_name = "log.cleaner.delete.retention.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "How long compaction keeps a key's tombstone (a null value) "
                     "after the cleaned part of the log reaches it.",
    .default_value = int64_t{86400000},
    .min = 0,
    .max = int64_max,
};

const property_definition errors_deadletterqueue_group_enable_def{
    .name = "errors.deadletterqueue.group.enable",
    .kind = value_kind::boolean,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Whether Kafka Streams groups may write dead letters here "
                     "(KIP-1034). Accepted and shown, as Kafka's; atolld does not "
                     "act on it.",
    .default_value = false,
};

const property_definition file_delete_delay_ms_def{
    .name = "file.delete.delay.ms",
    .broker_name = "log.segment.delete.delay.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "How long Kafka waits before deleting a removed segment's "
                     "files. Accepted and shown, as Kafka's; atolld does not act on "
                     "it: it deletes them at once.",
    .default_value = int64_t{60000},
    .min = 0,
    .max = int64_max,
};

const property_definition flush_messages_def{
    .name = "flush.messages",
    .broker_name = "log.flush.interval.messages",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Records between forced fsyncs. Accepted and shown, as Kafka's; "
                     "atolld does not act on it: it fdatasyncs before answering "
                     "every acks=all produce.",
    .default_value = int64_max,
    .min = 1,
    .max = int64_max,
};

const property_definition flush_ms_def{
    .name = "flush.ms",
    .broker_name = "log.flush.interval.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Milliseconds between forced fsyncs. Accepted and shown, as "
                     "Kafka's; atolld does not act on it: it fdatasyncs before "
                     "answering every acks=all produce.",
    .default_value = int64_max,
    .min = 0,
    .max = int64_max,
};

const property_definition follower_replication_throttled_replicas_def{
    .name = "follower.replication.throttled.replicas",
    .kind = value_kind::string_list,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Replicas (partition:broker pairs, or *) whose follower-side "
                     "replication is throttled during replica moves. Accepted and "
                     "shown, as Kafka's; atolld does not act on it until replica "
                     "moves exist.",
    .default_value = string_list{},
    .check = throttled_replicas_check,
};

const property_definition index_interval_bytes_def{
    .name = "index.interval.bytes",
    .broker_name = "log.index.interval.bytes",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Bytes of records between two entries of a segment's offset "
                     "index.",
    .default_value = int64_t{4096},
    .min = 0,
    .max = int32_max,
};

const property_definition leader_replication_throttled_replicas_def{
    .name = "leader.replication.throttled.replicas",
    .kind = value_kind::string_list,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Replicas (partition:broker pairs, or *) whose leader-side "
                     "replication is throttled during replica moves. Accepted and "
                     "shown, as Kafka's; atolld does not act on it until replica "
                     "moves exist.",
    .default_value = string_list{},
    .check = throttled_replicas_check,
};

const property_definition local_retention_bytes_def{
    .name = "local.retention.bytes",
    .broker_name = "log.local.retention.bytes",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "With tiered storage, the size kept on local disk (-2: "
                     "retention.bytes). Accepted and shown, as Kafka's; atolld does "
                     "not act on it until tiered storage exists.",
    .default_value = int64_t{-2},
    .min = -2,
    .max = int64_max,
};

const property_definition local_retention_ms_def{
    .name = "local.retention.ms",
    .broker_name = "log.local.retention.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "With tiered storage, how long data stays on local disk (-2: "
                     "retention.ms). Accepted and shown, as Kafka's; atolld does not "
                     "act on it until tiered storage exists.",
    .default_value = int64_t{-2},
    .min = -2,
    .max = int64_max,
};

const property_definition max_compaction_lag_ms_def{
    .name = "max.compaction.lag.ms",
    .broker_name = "log.cleaner.max.compaction.lag.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The longest a record may stay uncompacted. Accepted and shown, "
                     "as Kafka's; atolld does not act on it: compaction runs by "
                     "min.cleanable.dirty.ratio.",
    .default_value = int64_max,
    .min = 1,
    .max = int64_max,
};

const property_definition max_decompressed_message_bytes_def{
    .name = "max.decompressed.message.bytes",
    .broker_name = "max.decompressed.message.bytes",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The largest a batch may grow when decompressed. Accepted and "
                     "shown, as Kafka's; atolld does not act on it.",
    .default_value = int64_t{2147483639},
    .min = 0,
    .max = int32_max,
};

const property_definition min_cleanable_dirty_ratio_def{
    .name = "min.cleanable.dirty.ratio",
    .broker_name = "log.cleaner.min.cleanable.ratio",
    .kind = value_kind::decimal,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The share of a compacted log not yet cleaned at which "
                     "compaction runs (0 to 1).",
    .default_value = std::string("0.5"),
    .check = ratio_check,
};

const property_definition min_compaction_lag_ms_def{
    .name = "min.compaction.lag.ms",
    .broker_name = "log.cleaner.min.compaction.lag.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The least time a record stays uncompacted. Accepted and shown, "
                     "as Kafka's; atolld does not act on it.",
    .default_value = int64_t{0},
    .min = 0,
    .max = int64_max,
};

const property_definition preallocate_def{
    .name = "preallocate",
    .broker_name = "log.preallocate",
    .kind = value_kind::boolean,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Whether a new segment's file is preallocated. Accepted and "
                     "shown, as Kafka's; atolld does not act on it.",
    .default_value = false,
};

const property_definition remote_copy_lag_bytes_def{
    .name = "remote.copy.lag.bytes",
    .broker_name = "log.remote.copy.lag.bytes",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "With tiered storage, how far uploads may lag in bytes. "
                     "Accepted and shown, as Kafka's; atolld does not act on it "
                     "until tiered storage exists.",
    .default_value = int64_t{-1},
    .min = -1,
    .max = int64_max,
};

const property_definition remote_copy_lag_ms_def{
    .name = "remote.copy.lag.ms",
    .broker_name = "log.remote.copy.lag.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "With tiered storage, how far uploads may lag in time. Accepted "
                     "and shown, as Kafka's; atolld does not act on it until tiered "
                     "storage exists.",
    .default_value = int64_t{0},
    .min = 0,
    .max = int64_max,
};

const property_definition remote_log_copy_disable_def{
    .name = "remote.log.copy.disable",
    .kind = value_kind::boolean,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "With tiered storage, stops uploads for this topic. Accepted "
                     "and shown, as Kafka's; atolld does not act on it until tiered "
                     "storage exists.",
    .default_value = false,
};

const property_definition remote_log_delete_on_disable_def{
    .name = "remote.log.delete.on.disable",
    .kind = value_kind::boolean,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "With tiered storage, deletes uploaded data when it is turned "
                     "off. Accepted and shown, as Kafka's; atolld does not act on it "
                     "until tiered storage exists.",
    .default_value = false,
};

const property_definition remote_storage_enable_def{
    .name = "remote.storage.enable",
    .kind = value_kind::boolean,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Whether this topic uses tiered storage. Accepted and shown, as "
                     "Kafka's; atolld does not act on it until tiered storage "
                     "exists.",
    .default_value = false,
};

const property_definition segment_index_bytes_def{
    .name = "segment.index.bytes",
    .broker_name = "log.index.size.max.bytes",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The largest a segment's offset index may grow. Accepted and "
                     "shown, as Kafka's; atolld does not act on it: its indexes grow "
                     "as needed.",
    .default_value = int64_t{10485760},
    .min = 4,
    .max = int32_max,
};

const property_definition segment_jitter_ms_def{
    .name = "segment.jitter.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "A random amount subtracted from segment.ms per segment. "
                     "Accepted and shown, as Kafka's; atolld does not act on it.",
    .default_value = int64_t{0},
    .min = 0,
    .max = int64_max,
};

const property_definition unclean_leader_election_enable_def{
    .name = "unclean.leader.election.enable",
    .broker_name = "unclean.leader.election.enable",
    .kind = value_kind::boolean,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "Whether a replica that is not in sync may become leader, "
                     "losing data. Accepted and shown, as Kafka's; atolld does not "
                     "act on it until replication exists.",
    .default_value = false,
};

const property_definition retention_bytes_def{
    .name = "retention.bytes",
    .broker_name = "log.retention.bytes",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The size a partition may reach before its oldest "
                     "segments are deleted; -1 means no limit.",
    .default_value = int64_t{-1},
    .min = -1,
    .max = int64_max,
};

const property_definition retention_ms_def{
    .name = "retention.ms",
    .broker_name = "log.retention.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "How long a segment is kept after its newest record; -1 "
                     "means forever.",
    .default_value = int64_t{604800000},
    .min = -1,
    .max = int64_max,
};

const property_definition segment_bytes_def{
    .name = "segment.bytes",
    .broker_name = "log.segment.bytes",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The size at which a partition's active segment is "
                     "rolled.",
    .default_value = int64_t{1073741824},
    .min = 14,
    .max = int32_max,
};

const property_definition segment_ms_def{
    .name = "segment.ms",
    .broker_name = "log.roll.ms",
    .kind = value_kind::integer,
    .scope = scope::topic,
    .needs_restart = false,
    .documentation = "The age at which a partition's active segment is "
                     "rolled.",
    .default_value = int64_t{604800000},
    .min = 1,
    .max = int64_max,
};

const std::array registry{
    &node_id_def,
    &log_dir_def,
    &listeners_def,
    &advertised_listeners_def,
    &rpc_listener_def,
    &advertised_rpc_listener_def,
    &controller_quorum_voters_def,
    &smp_def,
    &pin_shards_def,
    &log_level_def,
    &socket_request_max_bytes_def,
    &shutdown_grace_ms_def,
    &connections_max_idle_ms_def,
    &queued_max_request_bytes_def,
    &max_incremental_fetch_session_cache_slots_def,
    &min_incremental_fetch_session_eviction_ms_def,
    &auto_create_topics_enable_def,
    &group_initial_rebalance_delay_ms_def,
    &group_min_session_timeout_ms_def,
    &group_max_session_timeout_ms_def,
    &group_max_size_def,
    &offsets_topic_num_partitions_def,
    &offsets_retention_minutes_def,
    &offsets_retention_check_interval_ms_def,
    &offset_metadata_max_bytes_def,
    &producer_id_expiration_ms_def,
    &producer_id_expiration_check_interval_ms_def,
    &transaction_state_log_num_partitions_def,
    &transaction_max_timeout_ms_def,
    &transactional_id_expiration_ms_def,
    &transaction_abort_timed_out_transaction_cleanup_interval_ms_def,
    &message_max_bytes_def,
    &num_partitions_def,
    &default_replication_factor_def,
    &cleanup_policy_def,
    &compression_type_def,
    &max_message_bytes_def,
    &message_timestamp_type_def,
    &message_timestamp_before_max_ms_def,
    &message_timestamp_after_max_ms_def,
    &min_insync_replicas_def,
    &compression_gzip_level_def,
    &compression_lz4_level_def,
    &compression_zstd_level_def,
    &delete_retention_ms_def,
    &errors_deadletterqueue_group_enable_def,
    &file_delete_delay_ms_def,
    &flush_messages_def,
    &flush_ms_def,
    &follower_replication_throttled_replicas_def,
    &index_interval_bytes_def,
    &leader_replication_throttled_replicas_def,
    &local_retention_bytes_def,
    &local_retention_ms_def,
    &max_compaction_lag_ms_def,
    &max_decompressed_message_bytes_def,
    &min_cleanable_dirty_ratio_def,
    &min_compaction_lag_ms_def,
    &preallocate_def,
    &remote_copy_lag_bytes_def,
    &remote_copy_lag_ms_def,
    &remote_log_copy_disable_def,
    &remote_log_delete_on_disable_def,
    &remote_storage_enable_def,
    &segment_index_bytes_def,
    &segment_jitter_ms_def,
    &unclean_leader_election_enable_def,
    &retention_bytes_def,
    &retention_ms_def,
    &segment_bytes_def,
    &segment_ms_def,
};

} // namespace

std::span<const property_definition* const> all_properties() {
    return registry;
}

const property_definition* find_property(std::string_view name) {
    for (const auto* def : registry) {
        if (def->name == name) {
            return def;
        }
    }
    return nullptr;
}

const property_definition* find_node_property(std::string_view name) {
    if (const auto* def = find_property(name)) {
        return def;
    }
    for (const auto* def : registry) {
        if (!def->broker_name.empty() && def->broker_name == name) {
            return def;
        }
    }
    return nullptr;
}

const property_definition& broker_default_of(const property_definition& topic_def) {
    if (topic_def.broker_name.empty()) {
        return topic_def;
    }
    const auto* other = find_property(topic_def.broker_name);
    return other != nullptr ? *other : topic_def;
}

namespace properties {
const property<int64_t> node_id{node_id_def};
const property<std::string> log_dir{log_dir_def};
const property<std::string> listeners{listeners_def};
const property<std::string> advertised_listeners{advertised_listeners_def};
const property<std::string> rpc_listener{rpc_listener_def};
const property<std::string> advertised_rpc_listener{advertised_rpc_listener_def};
const property<std::string> controller_quorum_voters{controller_quorum_voters_def};
const property<int64_t> smp{smp_def};
const property<bool> pin_shards{pin_shards_def};
const property<std::string> log_level{log_level_def};
const property<int64_t> socket_request_max_bytes{socket_request_max_bytes_def};
const property<int64_t> shutdown_grace_ms{shutdown_grace_ms_def};
const property<int64_t> connections_max_idle_ms{connections_max_idle_ms_def};
const property<int64_t> queued_max_request_bytes{queued_max_request_bytes_def};
const property<int64_t> max_incremental_fetch_session_cache_slots{
    max_incremental_fetch_session_cache_slots_def};
const property<int64_t> min_incremental_fetch_session_eviction_ms{
    min_incremental_fetch_session_eviction_ms_def};
const property<bool> auto_create_topics_enable{auto_create_topics_enable_def};
const property<int64_t> group_initial_rebalance_delay_ms{
    group_initial_rebalance_delay_ms_def};
const property<int64_t> group_min_session_timeout_ms{group_min_session_timeout_ms_def};
const property<int64_t> group_max_session_timeout_ms{group_max_session_timeout_ms_def};
const property<int64_t> group_max_size{group_max_size_def};
const property<int64_t> offsets_topic_num_partitions{offsets_topic_num_partitions_def};
const property<int64_t> offsets_retention_minutes{offsets_retention_minutes_def};
const property<int64_t> offsets_retention_check_interval_ms{
    offsets_retention_check_interval_ms_def};
const property<int64_t> producer_id_expiration_ms{producer_id_expiration_ms_def};
const property<int64_t> transaction_state_log_num_partitions{
    transaction_state_log_num_partitions_def};
const property<int64_t> transaction_max_timeout_ms{transaction_max_timeout_ms_def};
const property<int64_t> transactional_id_expiration_ms{
    transactional_id_expiration_ms_def};
const property<int64_t> transaction_abort_timed_out_transaction_cleanup_interval_ms{
    transaction_abort_timed_out_transaction_cleanup_interval_ms_def};
const property<int64_t> producer_id_expiration_check_interval_ms{
    producer_id_expiration_check_interval_ms_def};
const property<int64_t> offset_metadata_max_bytes{offset_metadata_max_bytes_def};
const property<int64_t> message_max_bytes{message_max_bytes_def};
const property<int64_t> num_partitions{num_partitions_def};
const property<int64_t> default_replication_factor{default_replication_factor_def};
const property<string_list> cleanup_policy{cleanup_policy_def};
const property<std::string> compression_type{compression_type_def};
const property<int64_t> max_message_bytes{max_message_bytes_def};
const property<std::string> message_timestamp_type{message_timestamp_type_def};
const property<int64_t> message_timestamp_before_max_ms{
    message_timestamp_before_max_ms_def};
const property<int64_t> message_timestamp_after_max_ms{
    message_timestamp_after_max_ms_def};
const property<int64_t> retention_bytes{retention_bytes_def};
const property<int64_t> retention_ms{retention_ms_def};
const property<int64_t> segment_bytes{segment_bytes_def};
const property<int64_t> segment_ms{segment_ms_def};
const property<int64_t> min_insync_replicas{min_insync_replicas_def};
const property<int64_t> compression_gzip_level{compression_gzip_level_def};
const property<int64_t> compression_lz4_level{compression_lz4_level_def};
const property<int64_t> compression_zstd_level{compression_zstd_level_def};
const property<int64_t> delete_retention_ms{delete_retention_ms_def};
const property<bool> errors_deadletterqueue_group_enable{
    errors_deadletterqueue_group_enable_def};
const property<int64_t> file_delete_delay_ms{file_delete_delay_ms_def};
const property<int64_t> flush_messages{flush_messages_def};
const property<int64_t> flush_ms{flush_ms_def};
const property<string_list> follower_replication_throttled_replicas{
    follower_replication_throttled_replicas_def};
const property<int64_t> index_interval_bytes{index_interval_bytes_def};
const property<string_list> leader_replication_throttled_replicas{
    leader_replication_throttled_replicas_def};
const property<int64_t> local_retention_bytes{local_retention_bytes_def};
const property<int64_t> local_retention_ms{local_retention_ms_def};
const property<int64_t> max_compaction_lag_ms{max_compaction_lag_ms_def};
const property<int64_t> max_decompressed_message_bytes{
    max_decompressed_message_bytes_def};
const property<std::string> min_cleanable_dirty_ratio{min_cleanable_dirty_ratio_def};
const property<int64_t> min_compaction_lag_ms{min_compaction_lag_ms_def};
const property<bool> preallocate{preallocate_def};
const property<int64_t> remote_copy_lag_bytes{remote_copy_lag_bytes_def};
const property<int64_t> remote_copy_lag_ms{remote_copy_lag_ms_def};
const property<bool> remote_log_copy_disable{remote_log_copy_disable_def};
const property<bool> remote_log_delete_on_disable{remote_log_delete_on_disable_def};
const property<bool> remote_storage_enable{remote_storage_enable_def};
const property<int64_t> segment_index_bytes{segment_index_bytes_def};
const property<int64_t> segment_jitter_ms{segment_jitter_ms_def};
const property<bool> unclean_leader_election_enable{unclean_leader_election_enable_def};
} // namespace properties

} // namespace config
