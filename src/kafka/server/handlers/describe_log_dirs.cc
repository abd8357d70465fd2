#include "kafka/protocol/messages/describe_log_dirs.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/leadership.h"
#include "kafka/server/handlers/partition_calls.h"
#include "storage/log_manager.h"

#include <limits>
#include <map>
#include <optional>
#include <set>

#include <sys/statvfs.h>

namespace kafka::handlers {
namespace {

using asked_topics = std::optional<
    std::vector<protocol::describe_log_dirs_request::describable_log_dir_topic>>;
using dir_result = protocol::describe_log_dirs_response::describe_log_dirs_result;

// blocks * block_size, or the largest int64 when that overflows (Kafka's
// answer for filesystems larger than a long counts).
int64_t bytes_of(uint64_t blocks, uint64_t block_size) {
    constexpr auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (block_size != 0 && blocks > max / block_size) {
        return std::numeric_limits<int64_t>::max();
    }
    return static_cast<int64_t>(blocks * block_size);
}

// The size of the filesystem holding `dir`, and what an unprivileged
// writer may still use of it (Java's FileStore total and usable space,
// which Kafka reports). Runs on the shard: statvfs blocks, but on a local
// filesystem it only reads counters the kernel keeps in memory, once a
// request.
bool measure_space(const std::string& dir, dir_result& out) {
    struct statvfs s {};
    if (::statvfs(dir.c_str(), &s) != 0) {
        return false;
    }
    out.total_bytes = bytes_of(s.f_blocks, s.f_frsize);
    out.usable_bytes = bytes_of(s.f_bavail, s.f_frsize);
    return true;
}

// The partitions to describe, in topic and partition order, each once:
// every partition for a null list; otherwise those asked for that exist.
std::vector<partition_ref> partitions_to_describe(const cluster::topic_table& topics,
                                                  const asked_topics& asked) {
    std::vector<partition_ref> out;
    if (!asked) {
        for (const auto& [name, t] : topics.topics()) {
            for (int32_t p = 0; p < t.partitions; ++p) {
                out.push_back({name, p});
            }
        }
        return out;
    }
    std::map<std::string, std::set<int32_t>> unique;
    for (const auto& t : *asked) {
        const auto* meta = topics.find(t.topic);
        for (int32_t p : t.partitions) {
            if (has_partition(meta, p)) {
                unique[t.topic].insert(p);
            }
        }
    }
    for (const auto& [name, partitions] : unique) {
        for (int32_t p : partitions) {
            out.push_back({name, p});
        }
    }
    return out;
}

} // namespace

// A node has one log directory, its data directory; Kafka lists only the
// topics with at least one partition described.
result describe_log_dirs(request_context& ctx) {
    auto request = decode_request<protocol::describe_log_dirs_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    protocol::describe_log_dirs_response response;
    auto& dir = response.results.emplace_back();
    dir.log_dir = ctx.config.data_dir;
    if (!measure_space(dir.log_dir, dir)) {
        dir.error_code = static_cast<int16_t>(error_code::kafka_storage_error);
        co_return encode_response(response, ctx.version());
    }
    auto partitions = partitions_to_describe(*ctx.node.topics, request->topics);
    // Null where the owner has not opened the partition (yet, or anymore).
    auto sizing = on_partitions(ctx.node, partitions,
                                [](cluster::partition* part) -> std::optional<int64_t> {
                                    if (part == nullptr) {
                                        return std::nullopt;
                                    }
                                    return static_cast<int64_t>(part->size_bytes());
                                });
    auto sizes = co_await std::move(sizing);
    for (size_t i = 0; i < partitions.size(); ++i) {
        if (!sizes[i]) {
            continue;
        }
        if (dir.topics.empty() || dir.topics.back().name != partitions[i].topic) {
            dir.topics.emplace_back().name = partitions[i].topic;
        }
        auto& out = dir.topics.back().partitions.emplace_back();
        out.partition_index = partitions[i].partition;
        out.partition_size = *sizes[i];
        // How far the log end trails the high watermark: a single node's
        // high watermark is its log end.
        out.offset_lag = 0;
        // No replica is being moved to another directory.
        out.is_future_key = false;
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
