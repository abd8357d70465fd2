#include "cluster/controller.h"

#include "base/logger.h"
#include "cluster/commands.h"
#include "model/batch_walker.h"
#include "model/record.h"
#include "model/record_batch_builder.h"

namespace cluster {
namespace {

base::logger log{"controller"};

constexpr std::string_view metadata_log = "metadata-0";

model::record_batch command_batch(const topic_command& cmd) {
    auto bytes = encode_command(cmd).to_vector();
    model::record_batch_builder b;
    model::record_data r;
    r.value = std::span<const uint8_t>(bytes);
    r.timestamp = storage::system_clock_ms()();
    b.add_record(r);
    return b.build();
}

} // namespace

controller::controller(boost::asio::any_io_executor shard, const std::string& data_dir,
                       applier apply)
  : _log(shard, storage::posix_file_system(), storage::join_path(data_dir, "controller"),
         storage::system_clock_ms(), storage::housekeeping_options{})
  , _apply(std::move(apply)) {}

runtime::awaitable<storage::result<void>> controller::start() {
    storage::log_config config;
    config.retention_ms = storage::log_config::no_limit;
    config.retention_bytes = storage::log_config::no_limit;
    auto m = _log.manage(std::string(metadata_log), config);
    if (!m) {
        co_return m.error_value();
    }
    _metadata = *m;
    auto& l = *_metadata->log;
    model::offset next = l.offsets().log_start;
    size_t replayed = 0;
    while (next < l.offsets().next_offset) {
        auto r = l.read(next, 1 << 20);
        if (!r) {
            co_return r.error_value();
        }
        model::batch_walker walker(r->data.share());
        while (true) {
            auto b = walker.next();
            if (!b || !b->has_value()) {
                break;
            }
            auto reader = model::record_reader::open(**b, 1 << 26);
            while (reader) {
                auto rec = reader->next();
                if (!rec || *rec == nullptr) {
                    break;
                }
                if (!(*rec)->value) {
                    continue;
                }
                auto cmd = decode_command(base::iobuf::copy_of(*(*rec)->value));
                if (!cmd) {
                    co_return base::make_error(storage::errc::corrupted,
                                               "metadata log: " + cmd.message());
                }
                ++replayed;
                if (const auto* ids = std::get_if<allocate_producer_ids_cmd>(&*cmd)) {
                    _producer_ids_end = std::max(_producer_ids_end, ids->end);
                    continue;
                }
                _topics.apply(*cmd);
                co_await _apply(*cmd);
            }
        }
        next = model::offset(r->last_offset() + 1);
    }
    // What was left of the last block is skipped, never handed out twice.
    _next_producer_id = _producer_ids_end;
    _producer_ids_claimed = _producer_ids_end;
    log.info("metadata log replayed: {} commands, {} topics, producer ids from {}",
             replayed, _topics.topics().size(), _next_producer_id);
    co_return base::ok;
}

runtime::awaitable<void> controller::stop() {
    co_await _log.stop();
}

runtime::awaitable<bool> controller::persist(const topic_command& cmd) {
    auto batch = command_batch(cmd);
    auto appended = co_await _metadata->flusher->append(batch, model::term_id(0));
    storage::result<void> flushed = base::ok;
    if (appended) {
        flushed = co_await _metadata->flusher->flush();
    }
    if (!appended || !flushed) {
        log.error("metadata log: {}", appended ? flushed.message() : appended.message());
        co_return false;
    }
    co_return true;
}

runtime::awaitable<std::optional<int64_t>> controller::allocate_producer_id() {
    while (_next_producer_id >= _producer_ids_end) {
        // Every caller that finds the block used up claims one more, so an
        // id is handed out only below an end already on disk.
        _producer_ids_claimed =
            std::max(_producer_ids_claimed, _producer_ids_end) + producer_id_block;
        int64_t end = _producer_ids_claimed;
        topic_command claim = allocate_producer_ids_cmd{end};
        auto task = persist(claim);
        if (!co_await std::move(task)) {
            co_return std::nullopt;
        }
        _producer_ids_end = std::max(_producer_ids_end, end);
    }
    co_return _next_producer_id++;
}

runtime::awaitable<controller_errc> controller::replicate(topic_command cmd,
                                                          const std::string& name) {
    _in_flight.insert(name);
    auto persisted = co_await persist(cmd);
    if (!persisted) {
        _in_flight.erase(name);
        co_return controller_errc::storage_error;
    }
    _topics.apply(cmd);
    co_await _apply(cmd);
    _in_flight.erase(name);
    co_return controller_errc::none;
}

runtime::awaitable<controller_errc> controller::create_topic(topic_metadata topic) {
    if (_topics.find(topic.name) || _in_flight.contains(topic.name)) {
        co_return controller_errc::topic_exists;
    }
    std::string name = topic.name;
    auto task = replicate(create_topic_cmd{std::move(topic)}, name);
    co_return co_await std::move(task);
}

runtime::awaitable<controller_errc> controller::delete_topic(std::string name) {
    if (!_topics.find(name) || _in_flight.contains(name)) {
        co_return controller_errc::unknown_topic;
    }
    auto task = replicate(delete_topic_cmd{name}, name);
    co_return co_await std::move(task);
}

runtime::awaitable<controller_errc> controller::create_partitions(std::string name,
                                                                  int32_t total) {
    const auto* t = _topics.find(name);
    if (!t || _in_flight.contains(name)) {
        co_return controller_errc::unknown_topic;
    }
    if (total <= t->partitions) {
        co_return controller_errc::invalid_partitions;
    }
    auto task = replicate(create_partitions_cmd{name, total}, name);
    co_return co_await std::move(task);
}

runtime::awaitable<controller_errc> controller::set_topic_configs(
    std::string name, std::map<std::string, std::string> configs) {
    if (!_topics.find(name) || _in_flight.contains(name)) {
        co_return controller_errc::unknown_topic;
    }
    auto task = replicate(set_topic_configs_cmd{name, std::move(configs)}, name);
    co_return co_await std::move(task);
}

} // namespace cluster
