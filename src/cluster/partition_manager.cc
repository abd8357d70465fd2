#include "cluster/partition_manager.h"

#include "base/logger.h"

#include <fmt/format.h>

#include <charconv>
#include <functional>

namespace cluster {
namespace {

base::logger log{"cluster"};

std::optional<int64_t> to_int(const std::string& s) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

} // namespace

partition_manager::partition_manager(boost::asio::any_io_executor shard,
                                     std::string data_dir, storage::log_config defaults,
                                     storage::housekeeping_options options)
  : _defaults(defaults)
  , _logs(shard, storage::posix_file_system(), storage::join_path(data_dir, "kafka"),
          storage::system_clock_ms(), options) {}

runtime::shard_id partition_manager::owner(std::string_view topic, int32_t partition,
                                           unsigned shard_count) {
    // FNV-1a: stable across builds and restarts, unlike std::hash.
    uint64_t h = 1469598103934665603ULL;
    for (char c : topic) {
        h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
    }
    h += static_cast<uint64_t>(partition);
    return runtime::shard_id(static_cast<uint32_t>(h % shard_count));
}

std::string partition_manager::log_name(std::string_view topic, int32_t partition) {
    return fmt::format("{}-{}", topic, partition);
}

storage::log_config partition_manager::config_for(const topic_metadata& topic) const {
    auto c = _defaults;
    // Values were validated when the topic was created or altered.
    auto number = [&](const char* name, auto& field) {
        if (auto it = topic.configs.find(name); it != topic.configs.end()) {
            if (auto v = to_int(it->second)) {
                field = static_cast<std::remove_reference_t<decltype(field)>>(*v);
            }
        }
    };
    number("segment.bytes", c.segment_bytes);
    number("segment.ms", c.segment_ms);
    number("retention.ms", c.retention_ms);
    number("retention.bytes", c.retention_bytes);
    number("delete.retention.ms", c.delete_retention_ms);
    number("index.interval.bytes", c.index_interval_bytes);
    if (auto it = topic.configs.find("cleanup.policy"); it != topic.configs.end()) {
        c.cleanup_delete = it->second.find("delete") != std::string::npos;
        c.cleanup_compact = it->second.find("compact") != std::string::npos;
    }
    if (auto it = topic.configs.find("min.cleanable.dirty.ratio");
        it != topic.configs.end()) {
        c.min_cleanable_dirty_ratio = std::strtod(it->second.c_str(), nullptr);
    }
    return c;
}

storage::result<void> partition_manager::ensure(const topic_metadata& topic,
                                                unsigned shard_count) {
    auto me = runtime::this_shard();
    auto config = config_for(topic);
    for (int32_t p = 0; p < topic.partitions; ++p) {
        if (owner(topic.name, p, shard_count) != me) {
            continue;
        }
        auto m = _logs.manage(log_name(topic.name, p), config);
        if (!m) {
            log.error("cannot open partition {}/{}: {}", topic.name, p, m.message());
            return m.error_value();
        }
    }
    return base::ok;
}

runtime::awaitable<void> partition_manager::drop(const topic_metadata& topic,
                                                 unsigned shard_count) {
    auto me = runtime::this_shard();
    for (int32_t p = 0; p < topic.partitions; ++p) {
        if (owner(topic.name, p, shard_count) != me) {
            continue;
        }
        if (auto r = co_await _logs.remove(log_name(topic.name, p)); !r) {
            log.warn("deleting partition {}/{}: {}", topic.name, p, r.message());
        }
    }
}

storage::log_manager::managed* partition_manager::get(std::string_view topic,
                                                      int32_t partition) {
    return _logs.get(log_name(topic, partition));
}

} // namespace cluster
