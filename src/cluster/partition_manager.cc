#include "cluster/partition_manager.h"

#include "base/logger.h"
#include "cluster/group_router.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
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
                                     storage::housekeeping_options options,
                                     raft_settings raft)
  : _shard(shard)
  , _data_dir(data_dir)
  , _defaults(defaults)
  , _raft(raft)
  , _logs(shard, storage::posix_file_system(), storage::join_path(data_dir, "kafka"),
          storage::system_clock_ms(), options)
  , _host(shard, raft.self, raft.tick, raft.peers) {}

partition_manager::~partition_manager() = default;

std::string partition_manager::kvstore_dir(const std::string& data_dir,
                                           runtime::shard_id shard) {
    return storage::join_path(storage::join_path(data_dir, "kvstore"),
                              fmt::format("shard-{}", shard()));
}

namespace {

constexpr std::string_view shard_count_key = "shard_count";

// The shard that owns the partition whose Raft state a key holds (groups
// are named "<topic>-<n>", log_name's form); nullopt for another key.
std::optional<runtime::shard_id> owner_of_key(std::string_view key, unsigned shards) {
    auto name = raft_state_store::group_of_key(key);
    if (!name) {
        return std::nullopt;
    }
    auto dash = name->rfind('-');
    if (dash == std::string_view::npos) {
        return std::nullopt;
    }
    auto number = to_int(std::string(name->substr(dash + 1)));
    if (!number || *number < 0 || *number > INT32_MAX) {
        return std::nullopt;
    }
    return partition_manager::owner(name->substr(0, dash), static_cast<int32_t>(*number),
                                    shards);
}

// Every key of the stores in `dir` (shard-<i> subdirectories).
storage::result<std::map<std::string, std::string>> read_stores(
    const std::filesystem::path& dir) {
    std::map<std::string, std::string> all;
    if (!std::filesystem::exists(dir)) {
        return all;
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        auto kv = storage::kvstore::open(storage::posix_file_system(),
                                         entry.path().string(), {});
        if (!kv) {
            return kv.error_value();
        }
        (*kv)->for_each("", [&](std::string_view k, std::string_view v) {
            all.emplace(std::string(k), std::string(v));
        });
    }
    if (ec) {
        return base::make_error(
            storage::errc::io_error,
            fmt::format("listing {}: {}", dir.string(), ec.message()));
    }
    return all;
}

} // namespace

storage::result<void> partition_manager::prepare_raft_state(const std::string& data_dir,
                                                            unsigned shard_count) {
    namespace fs = std::filesystem;
    fs::path home = fs::path(data_dir) / "kvstore";
    fs::path fresh = fs::path(data_dir) / "kvstore.new";
    fs::path old = fs::path(data_dir) / "kvstore.old";
    std::error_code ec;
    // A crash midway: between the renames the old copy is the truth.
    fs::remove_all(fresh, ec);
    if (fs::exists(old) && !fs::exists(home)) {
        fs::rename(old, home, ec);
    }
    fs::remove_all(old, ec);
    auto all = read_stores(home);
    if (!all) {
        return all.error_value();
    }
    auto recorded = all->find(std::string(shard_count_key));
    if (recorded != all->end() && recorded->second == std::to_string(shard_count)) {
        return base::ok;
    }
    if (all->empty()) {
        // A new node (or one from before Raft): only the count to record.
        auto kv = storage::kvstore::open(storage::posix_file_system(),
                                         kvstore_dir(data_dir, runtime::shard_id(0)), {});
        if (!kv) {
            return kv.error_value();
        }
        return (*kv)->put(std::string(shard_count_key), std::to_string(shard_count));
    }
    std::vector<std::unique_ptr<storage::kvstore>> stores;
    for (unsigned i = 0; i < shard_count; ++i) {
        auto kv =
            storage::kvstore::open(storage::posix_file_system(),
                                   (fresh / fmt::format("shard-{}", i)).string(), {});
        if (!kv) {
            return kv.error_value();
        }
        stores.push_back(std::move(kv).value());
    }
    for (const auto& [k, v] : *all) {
        auto owner = owner_of_key(k, shard_count);
        if (owner) {
            if (auto r =
                    stores[(*owner)()]->put(k, v, storage::kvstore::durability::none);
                !r) {
                return r;
            }
        }
    }
    if (auto r =
            stores[0]->put(std::string(shard_count_key), std::to_string(shard_count));
        !r) {
        return r;
    }
    for (auto& kv : stores) {
        if (auto r = kv->sync(); !r) {
            return r;
        }
    }
    stores.clear();
    fs::rename(home, old, ec);
    if (!ec) {
        fs::rename(fresh, home, ec);
    }
    if (ec) {
        return base::make_error(
            storage::errc::io_error,
            fmt::format("swapping in {}: {}", fresh.string(), ec.message()));
    }
    fs::remove_all(old, ec);
    log.info("Raft state moved to {} shards ({} keys)", shard_count, all->size());
    return base::ok;
}

storage::result<void> partition_manager::open() {
    auto kv = storage::kvstore::open(storage::posix_file_system(),
                                     kvstore_dir(_data_dir, runtime::this_shard()), {});
    if (!kv) {
        return kv.error_value();
    }
    _kv = std::move(kv).value();
    _state = std::make_unique<raft_state_store>(*_kv);
    _host.use_state(*_state);
    return base::ok;
}

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

bool partition_manager::hosts(const topic_metadata& topic, int32_t p,
                              unsigned shard_count) const {
    auto replicas = topic.replicas_of(p, _raft.self);
    return owner(topic.name, p, shard_count) == runtime::this_shard()
        && std::find(replicas.begin(), replicas.end(), _raft.self) != replicas.end();
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

std::unique_ptr<partition> partition_manager::make_partition(
    const topic_metadata& topic, int32_t index, storage::log_manager::managed& log) {
    auto id = group_router::group_of(topic, index);
    auto options = _raft.options;
    // Groups a leader's loss leaves leaderless do not all time out at once.
    options.seed ^= static_cast<uint64_t>(id());
    raft_group::settings settings{
        id, log_name(topic.name, index), _raft.self,
        raft::configuration{topic.replicas_of(index, _raft.self), {}}, options};
    auto group = std::make_unique<raft_group>(std::move(settings), log, *_state,
                                              _host.outbox(), _shard);
    auto* g = group.get();
    auto name = topic.name;
    g->on_commit([this, name, index] {
        if (_on_commit) {
            _on_commit(name, index);
        }
    });
    g->on_leadership([this, g, name, index] {
        if (_on_leadership) {
            _on_leadership(name, index, {g->leader(), g->term()});
        }
    });
    return std::make_unique<partition>(topic.name, index, log, std::move(group));
}

storage::result<void> partition_manager::ensure(const topic_metadata& topic,
                                                unsigned shard_count) {
    auto config = config_for(topic);
    for (int32_t p = 0; p < topic.partitions; ++p) {
        if (!hosts(topic, p, shard_count)) {
            continue;
        }
        auto name = log_name(topic.name, p);
        auto m = _logs.manage(name, config);
        if (!m) {
            log.error("cannot open partition {}/{}: {}", topic.name, p, m.message());
            return m.error_value();
        }
        if (_partitions.contains(name)) {
            continue;
        }
        auto made = make_partition(topic, p, **m);
        auto& group = made->raft();
        _partitions.emplace(name, std::move(made));
        _host.add(group);
        group.start();
    }
    _host.round();
    return base::ok;
}

runtime::awaitable<void> partition_manager::drop(const topic_metadata& topic,
                                                 unsigned shard_count) {
    for (int32_t p = 0; p < topic.partitions; ++p) {
        if (!hosts(topic, p, shard_count)) {
            continue;
        }
        auto name = log_name(topic.name, p);
        if (auto it = _partitions.find(name); it != _partitions.end()) {
            auto part = std::move(it->second);
            _partitions.erase(it);
            _host.remove(part->raft().id());
            co_await part->raft().stop();
        }
        if (auto r = _state->forget(name); !r) {
            log.warn("forgetting the Raft state of {}/{}: {}", topic.name, p,
                     r.message());
        }
        auto removed = co_await _logs.remove(name);
        if (!removed) {
            log.warn("deleting partition {}/{}: {}", topic.name, p, removed.message());
        }
    }
}

partition* partition_manager::get(std::string_view topic, int32_t partition) {
    auto it = _partitions.find(log_name(topic, partition));
    return it == _partitions.end() ? nullptr : it->second.get();
}

void partition_manager::receive(raft::batch b) {
    _host.receive(std::move(b));
}

void partition_manager::start() {
    _logs.start();
    _host.start();
}

runtime::awaitable<void> partition_manager::stop() {
    co_await _host.stop();
    // A drop() under way may erase from the map meanwhile: look each up.
    std::vector<std::string> names;
    for (const auto& [name, p] : _partitions) {
        names.push_back(name);
    }
    for (const auto& name : names) {
        if (auto it = _partitions.find(name); it != _partitions.end()) {
            co_await it->second->raft().stop();
        }
    }
    co_await _logs.stop();
    _partitions.clear();
}

} // namespace cluster
