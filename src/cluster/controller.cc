#include "cluster/controller.h"

#include "base/logger.h"
#include "cluster/commands.h"
#include "model/batch_walker.h"
#include "model/big_endian.h"
#include "model/record.h"
#include "model/record_batch_builder.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <stdexcept>

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

controller_errc to_controller_errc(replicate_errc e) {
    switch (e) {
        case replicate_errc::not_leader:
        case replicate_errc::shutting_down:
            return controller_errc::not_controller;
        default:
            return controller_errc::storage_error;
    }
}

} // namespace

controller::controller(boost::asio::any_io_executor shard, const std::string& data_dir,
                       settings s, applier apply)
  : _shard(shard)
  , _data_dir(storage::join_path(data_dir, "controller"))
  , _settings(std::move(s))
  , _log(shard, storage::posix_file_system(), _data_dir, storage::system_clock_ms(),
         storage::housekeeping_options{})
  , _host(shard, _settings.self, _settings.tick, _settings.peers)
  , _apply(std::move(apply))
  , _commit_moved(std::make_unique<runtime::event>(shard))
  , _applying(shard)
  , _forwarding(shard) {
    if (_settings.voters.empty()) {
        _settings.voters = {_settings.self};
    }
}

controller::~controller() = default;

runtime::awaitable<storage::result<void>> controller::start() {
    storage::log_config config;
    config.retention_ms = storage::log_config::no_limit;
    config.retention_bytes = storage::log_config::no_limit;
    auto m = _log.manage(std::string(metadata_log), config);
    if (!m) {
        co_return m.error_value();
    }
    _metadata = *m;
    auto kv = storage::kvstore::open(storage::posix_file_system(),
                                     storage::join_path(_data_dir, "raft"), {});
    if (!kv) {
        co_return kv.error_value();
    }
    _kv = std::move(kv).value();
    _state = std::make_unique<raft_state_store>(*_kv);
    _host.use_state(*_state);
    _applied_next = _metadata->log->offsets().log_start;
    auto log_end = _metadata->log->offsets().next_offset;
    raft_group::settings gs{group, "controller", _settings.self,
                            raft::configuration{_settings.voters, {}}, _settings.options};
    _group = std::make_unique<raft_group>(std::move(gs), *_metadata, *_state,
                                          _host.outbox(), _shard);
    _group->on_commit([this] { _commit_moved->set(); });
    _group->on_leadership([this] {
        if (_leadership_listener) {
            _leadership_listener(_group->leader());
        }
    });
    _host.add(*_group);
    _log.start();
    _host.start();
    _group->start();
    _host.round();
    if (!_applying.try_enter()) {
        co_return base::ok;
    }
    boost::asio::co_spawn(_shard, apply_committed(), boost::asio::detached);
    if (_group->lone_leader()) {
        // The log as it was is applied before the node serves anyone.
        co_await wait_applied(model::offset(log_end() - 1));
    }
    log.info("metadata log applied up to offset {}: {} topics", _applied_next(),
             _topics.topics().size());
    co_return base::ok;
}

runtime::awaitable<void> controller::stop() {
    _stopping = true;
    _commit_moved->set();
    _forwarding.begin_close();
    if (_to_leader) {
        _to_leader->close();
    }
    co_await _forwarding.close();
    co_await _host.stop();
    if (_group) {
        co_await _group->stop();
    }
    wake_waiters();
    co_await _applying.close();
    co_await _log.stop();
}

// Applies what the group committed, in log order, as the commit index
// moves: on the leader and on every other replica alike.
runtime::awaitable<void> controller::apply_committed() {
    runtime::gate_holder hold(_applying);
    // Flushed on a majority, a lone leader's too: a crash loses nothing
    // applied here.
    auto committed_end = [this] {
        return model::offset(_group->core().commit_index()() + 1);
    };
    while (!_stopping) {
        auto committed = committed_end();
        if (_applied_next >= committed) {
            _commit_moved = std::make_unique<runtime::event>(_shard);
            if (committed_end() > _applied_next || _stopping) {
                continue;
            }
            auto* moved = _commit_moved.get();
            co_await moved->wait();
            continue;
        }
        auto read = _metadata->log->read(_applied_next, 1 << 20);
        if (!read) {
            log.error("metadata log: {}", read.message());
            co_return;
        }
        auto task = apply_read(read->data.share(), committed);
        auto next = co_await std::move(task);
        if (!next) {
            log.error("metadata log: {}", next.message());
            co_return;
        }
        _applied_next = *next;
        wake_waiters();
    }
}

runtime::awaitable<storage::result<model::offset>> controller::apply_read(
    base::iobuf data, model::offset end) {
    model::offset next = _applied_next;
    model::batch_walker walker(std::move(data));
    while (true) {
        auto b = walker.next();
        if (!b || !b->has_value() || (*b)->base_offset() >= end) {
            break;
        }
        const auto& batch = **b;
        next = model::offset(batch.last_offset()() + 1);
        // Raft's own entries (a leader's first entry, configurations).
        if (batch.header().is_control()) {
            continue;
        }
        auto reader = model::record_reader::open(batch, 1 << 26);
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
                co_return base::make_error(storage::errc::corrupted, cmd.message());
            }
            if (const auto* ids = std::get_if<allocate_producer_ids_cmd>(&*cmd)) {
                // A block starts where the last ended, whatever the claimant
                // believed when it asked.
                int64_t start = std::max(_producer_ids_end, ids->end - producer_id_block);
                _producer_ids_end = start + producer_id_block;
                // Kept for the claimant to find (bounded: a claimant reads
                // its own right after the apply, and claims come in blocks
                // of a thousand ids).
                _claims[batch.base_offset()()] = start;
                if (_claims.size() > 1024) {
                    _claims.erase(_claims.begin());
                }
                continue;
            }
            co_await apply(*cmd);
        }
    }
    co_return next;
}

runtime::awaitable<void> controller::apply(const topic_command& cmd) {
    if (const auto* reg = std::get_if<register_node_cmd>(&cmd)) {
        _members.apply(*reg);
    } else if (const auto* id = std::get_if<cluster_id_cmd>(&cmd)) {
        _members.apply(*id);
    }
    _topics.apply(cmd);
    co_await _apply(cmd);
}

std::optional<std::vector<std::vector<model::node_id>>> controller::place(
    const topic_id& id, int32_t first, int32_t count, int16_t rf) const {
    std::vector<model::node_id> nodes;
    for (const auto& [n, m] : _members.all()) {
        nodes.push_back(m.id);
    }
    if (nodes.empty()) {
        // Not registered yet: a lone node places on itself.
        nodes.push_back(_settings.self);
    }
    if (rf < 1 || static_cast<size_t>(rf) > nodes.size()) {
        return std::nullopt;
    }
    // Round robin from a start of the topic's own, so that the first
    // replicas (preferred leaders) of different topics spread too.
    size_t start = 0;
    for (auto b : id) {
        start = start * 31 + b;
    }
    std::vector<std::vector<model::node_id>> out;
    for (int32_t p = first; p < first + count; ++p) {
        std::vector<model::node_id> replicas;
        for (int16_t r = 0; r < rf; ++r) {
            replicas.push_back(
                nodes[(start + static_cast<size_t>(p) + static_cast<size_t>(r))
                      % nodes.size()]);
        }
        out.push_back(std::move(replicas));
    }
    return out;
}

void controller::wake_waiters() {
    for (auto& w : _waiters) {
        if (w.last < _applied_next || _stopping) {
            w.done->set();
        }
    }
}

runtime::awaitable<bool> controller::wait_applied(model::offset last) {
    // The waiter leaves the list itself: its event must outlive the wait.
    auto it = _waiters.insert(
        _waiters.end(), apply_waiter{last, std::make_unique<runtime::event>(_shard)});
    wake_waiters();
    co_await it->done->wait();
    _waiters.erase(it);
    co_return last < _applied_next;
}

runtime::awaitable<controller_errc> controller::commit(topic_command cmd) {
    if (!is_leader()) {
        co_return controller_errc::not_controller;
    }
    auto task = _group->replicate(command_batch(cmd), replicate_ack::majority);
    auto written = co_await std::move(task);
    if (!written) {
        co_return to_controller_errc(written.code());
    }
    auto applied = co_await wait_applied(written->last_offset);
    // Not applied: the node is stopping.
    co_return applied ? controller_errc::none : controller_errc::not_controller;
}

runtime::awaitable<std::optional<int64_t>> controller::claim_block() {
    auto ready = caught_up();
    if (!co_await std::move(ready)) {
        co_return std::nullopt;
    }
    topic_command claim =
        allocate_producer_ids_cmd{_producer_ids_end + producer_id_block};
    auto task = _group->replicate(command_batch(claim), replicate_ack::majority);
    auto written = co_await std::move(task);
    if (!written || !co_await wait_applied(written->last_offset)) {
        co_return std::nullopt;
    }
    auto placed = _claims.find(written->base_offset());
    if (placed == _claims.end()) {
        co_return std::nullopt;
    }
    auto start = placed->second;
    _claims.erase(placed);
    co_return start;
}

runtime::awaitable<std::optional<int64_t>> controller::allocate_producer_id() {
    while (_next_producer_id >= _block_end) {
        std::optional<int64_t> start;
        if (is_leader()) {
            auto claim = claim_block();
            start = co_await std::move(claim);
        } else {
            auto ask = forward(allocate_producer_ids_cmd{0});
            auto answer = co_await std::move(ask);
            if (answer.error == controller_errc::none) {
                start = answer.block_start;
            }
        }
        if (!start) {
            co_return std::nullopt;
        }
        if (_next_producer_id >= _block_end) {
            _next_producer_id = *start;
            _block_end = *start + producer_id_block;
        }
    }
    co_return _next_producer_id++;
}

// The commands, as execute() takes them (by value: plain functions, not
// coroutines, since nothing of theirs outlives the call).
runtime::awaitable<controller_errc> controller::create_topic(topic_metadata topic) {
    return execute(create_topic_cmd{std::move(topic)});
}

runtime::awaitable<controller_errc> controller::delete_topic(std::string name) {
    return execute(delete_topic_cmd{std::move(name)});
}

runtime::awaitable<controller_errc> controller::create_partitions(
    std::string name, int32_t total, std::vector<std::vector<model::node_id>> replicas) {
    return execute(create_partitions_cmd{std::move(name), total, std::move(replicas)});
}

runtime::awaitable<controller_errc> controller::set_topic_configs(
    std::string name, std::map<std::string, std::string> configs) {
    return execute(set_topic_configs_cmd{std::move(name), std::move(configs)});
}

runtime::awaitable<controller_errc> controller::register_node(member node) {
    return execute(register_node_cmd{std::move(node)});
}

runtime::awaitable<controller_errc> controller::propose_cluster_id(std::string id) {
    return execute(cluster_id_cmd{std::move(id)});
}

runtime::awaitable<bool> controller::caught_up() {
    // A new leader commits an entry of its own term first, and with it
    // every entry before; until then it has not applied them all.
    for (int waited = 0; is_leader() && !_stopping; ++waited) {
        const auto& core = _group->core();
        auto commit = core.commit_index();
        if (core.log().term_at(commit) == core.term() && _applied_next() > commit()) {
            co_return true;
        }
        if (waited == 500) {
            break; // 5 s: the caller is told to retry
        }
        boost::asio::steady_timer pause(_shard, std::chrono::milliseconds(10));
        boost::system::error_code ec;
        co_await pause.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    co_return false;
}

runtime::awaitable<controller_errc> controller::execute(topic_command cmd) {
    if (is_leader()) {
        auto here = run_here(std::move(cmd));
        co_return co_await std::move(here);
    }
    auto there = forward(std::move(cmd));
    auto answer = co_await std::move(there);
    co_return answer.error;
}

runtime::awaitable<controller_errc> controller::run_here(topic_command cmd) {
    auto ready = caught_up();
    if (!co_await std::move(ready)) {
        co_return controller_errc::not_controller;
    }
    if (auto* c = std::get_if<create_topic_cmd>(&cmd)) {
        auto task = create_topic_here(std::move(c->topic));
        co_return co_await std::move(task);
    }
    if (auto* c = std::get_if<delete_topic_cmd>(&cmd)) {
        auto task = delete_topic_here(std::move(c->name));
        co_return co_await std::move(task);
    }
    if (auto* c = std::get_if<create_partitions_cmd>(&cmd)) {
        auto task =
            create_partitions_here(std::move(c->name), c->total, std::move(c->replicas));
        co_return co_await std::move(task);
    }
    if (auto* c = std::get_if<set_topic_configs_cmd>(&cmd)) {
        auto task = set_topic_configs_here(std::move(c->name), std::move(c->configs));
        co_return co_await std::move(task);
    }
    if (auto* c = std::get_if<register_node_cmd>(&cmd)) {
        auto task = register_node_here(std::move(c->node));
        co_return co_await std::move(task);
    }
    if (std::holds_alternative<cluster_id_cmd>(cmd)) {
        if (!_members.cluster_id().empty()) {
            co_return controller_errc::none;
        }
        auto task = commit(std::move(cmd));
        co_return co_await std::move(task);
    }
    // Producer id claims go through claim_block().
    co_return controller_errc::not_controller;
}

runtime::awaitable<controller::verdict> controller::forward(topic_command cmd) {
    auto leader = this->leader();
    auto at = leader != raft::no_node && leader != _settings.self && _settings.peers
        ? _settings.peers(leader)
        : std::nullopt;
    if (!at || !_forwarding.try_enter()) {
        co_return verdict{controller_errc::not_controller};
    }
    runtime::gate_holder hold(_forwarding);
    if (!_to_leader || _to_leader_at != *at) {
        if (_to_leader) {
            _to_leader->close();
            _old_leaders.push_back(std::move(_to_leader));
        }
        _to_leader = std::make_unique<rpc::client>(_shard, at->host, at->port);
        _to_leader_at = *at;
    }
    auto* client = _to_leader.get();
    auto call =
        client->call(controller_method, encode_command(cmd), std::chrono::seconds(10));
    auto answer = co_await std::move(call);
    auto bytes = answer ? answer->to_vector() : std::vector<uint8_t>{};
    // A peer's answer is checked like any input: a size or a verdict we do
    // not know is taken as "ask again".
    if (bytes.size() != 9
        || bytes[0] > static_cast<uint8_t>(controller_errc::invalid_replica_assignment)) {
        co_return verdict{controller_errc::not_controller};
    }
    co_return verdict{static_cast<controller_errc>(bytes[0]),
                      model::big_endian::read<int64_t>(bytes.data() + 1)};
}

runtime::awaitable<base::iobuf> controller::serve(base::iobuf request) {
    auto cmd = decode_command(request);
    if (!cmd) {
        throw std::runtime_error("a malformed controller command: " + cmd.message());
    }
    verdict v;
    if (!is_leader()) {
        v.error = controller_errc::not_controller;
    } else if (std::holds_alternative<allocate_producer_ids_cmd>(*cmd)) {
        auto claim = claim_block();
        auto start = co_await std::move(claim);
        v.error = start ? controller_errc::none : controller_errc::not_controller;
        v.block_start = start.value_or(0);
    } else {
        auto here = run_here(std::move(*cmd));
        v.error = co_await std::move(here);
    }
    std::array<uint8_t, 9> out{};
    out[0] = static_cast<uint8_t>(v.error);
    model::big_endian::write(out.data() + 1, v.block_start);
    co_return base::iobuf::copy_of(std::span<const uint8_t>(out));
}

runtime::awaitable<controller_errc> controller::replicate(topic_command cmd,
                                                          const std::string& name) {
    _in_flight.insert(name);
    auto task = commit(cmd);
    auto e = co_await std::move(task);
    _in_flight.erase(name);
    co_return e;
}

runtime::awaitable<controller_errc> controller::create_topic_here(topic_metadata topic) {
    if (!is_leader()) {
        co_return controller_errc::not_controller;
    }
    if (_topics.find(topic.name) || _in_flight.contains(topic.name)) {
        co_return controller_errc::topic_exists;
    }
    if (topic.replicas.empty()) {
        auto placed = place(topic.id, 0, topic.partitions, topic.replication_factor);
        if (!placed) {
            co_return controller_errc::invalid_replication_factor;
        }
        topic.replicas = std::move(*placed);
    }
    std::string name = topic.name;
    auto task = replicate(create_topic_cmd{std::move(topic)}, name);
    co_return co_await std::move(task);
}

runtime::awaitable<controller_errc> controller::register_node_here(member node) {
    if (!is_leader()) {
        co_return controller_errc::not_controller;
    }
    if (const auto* known = _members.find(node.id); known && *known == node) {
        co_return controller_errc::none;
    }
    auto task = commit(register_node_cmd{std::move(node)});
    co_return co_await std::move(task);
}

runtime::awaitable<controller_errc> controller::delete_topic_here(std::string name) {
    if (!is_leader()) {
        co_return controller_errc::not_controller;
    }
    if (!_topics.find(name) || _in_flight.contains(name)) {
        co_return controller_errc::unknown_topic;
    }
    auto task = replicate(delete_topic_cmd{name}, name);
    co_return co_await std::move(task);
}

runtime::awaitable<controller_errc> controller::create_partitions_here(
    std::string name, int32_t total, std::vector<std::vector<model::node_id>> replicas) {
    if (!is_leader()) {
        co_return controller_errc::not_controller;
    }
    const auto* t = _topics.find(name);
    if (!t || _in_flight.contains(name)) {
        co_return controller_errc::unknown_topic;
    }
    if (total <= t->partitions) {
        co_return controller_errc::invalid_partitions;
    }
    // Replicas as many as the topic's first partition has.
    if (!replicas.empty()
        && replicas.size() != static_cast<size_t>(total - t->partitions)) {
        // Checked by the asking node against its own (maybe stale) topics.
        co_return controller_errc::invalid_replica_assignment;
    }
    if (replicas.empty()) {
        auto rf = static_cast<int16_t>(t->replicas_of(0, _settings.self).size());
        auto placed = place(t->id, t->partitions, total - t->partitions, rf);
        if (!placed) {
            co_return controller_errc::invalid_replication_factor;
        }
        replicas = std::move(*placed);
    }
    auto task = replicate(create_partitions_cmd{name, total, std::move(replicas)}, name);
    co_return co_await std::move(task);
}

runtime::awaitable<controller_errc> controller::set_topic_configs_here(
    std::string name, std::map<std::string, std::string> configs) {
    if (!is_leader()) {
        co_return controller_errc::not_controller;
    }
    if (!_topics.find(name) || _in_flight.contains(name)) {
        co_return controller_errc::unknown_topic;
    }
    auto task = replicate(set_topic_configs_cmd{name, std::move(configs)}, name);
    co_return co_await std::move(task);
}

} // namespace cluster
