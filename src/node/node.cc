#include "node/node.h"

#include "base/logger.h"
#include "cluster/controller.h"
#include "cluster/group_router.h"
#include "cluster/leader_broadcast.h"
#include "cluster/partition_manager.h"
#include "cluster/topic_table.h"
#include "config/endpoint.h"
#include "config/properties.h"
#include "kafka/server/fetch_session.h"
#include "kafka/server/fetch_waiters.h"
#include "kafka/server/group/group_manager.h"
#include "kafka/server/server.h"
#include "kafka/server/txn/markers.h"
#include "kafka/server/txn/txn_manager.h"
#include "node/data_dir.h"
#include "raft/wire.h"
#include "rpc/server.h"
#include "runtime/gate.h"
#include "runtime/memory_budget.h"
#include "runtime/smp.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

namespace node {
namespace {

namespace props = config::properties;
base::logger log{"node"};

// `path` made absolute and normal ("./data/" in /srv: "/srv/data"), as the
// node reports it. Called before any shard runs: it reads the working
// directory.
std::string absolute_dir(const std::string& path) {
    std::error_code ec;
    auto p = std::filesystem::absolute(path, ec).lexically_normal();
    if (ec) {
        return path;
    }
    if (!p.has_filename() && p != p.root_path()) {
        p = p.parent_path();
    }
    return p.string();
}

kafka::server_config kafka_config(const config::property_set& cfg, const data_dir& dir) {
    kafka::server_config k;
    k.node_id = model::node_id(static_cast<int32_t>(cfg.get(props::node_id)));
    // Both listeners were validated when the config was read.
    k.listen = *config::parse_listener(cfg.get(props::listeners));
    const auto& advertised = cfg.get(props::advertised_listeners);
    k.advertised = advertised.empty() ? k.listen : *config::parse_listener(advertised);
    k.cluster_id = dir.cluster_id();
    k.data_dir = absolute_dir(dir.path());
    k.max_request_bytes = static_cast<int32_t>(cfg.get(props::socket_request_max_bytes));
    k.shutdown_grace = std::chrono::milliseconds(cfg.get(props::shutdown_grace_ms));
    k.max_idle = std::chrono::milliseconds(cfg.get(props::connections_max_idle_ms));
    return k;
}

// Where the internal RPC listens, and what other nodes are told.
struct rpc_settings {
    config::endpoint listen;
    std::optional<config::endpoint> advertised;
    // The controller voters (controller.quorum.voters, --seeds).
    std::vector<config::voter> seeds;
};

rpc_settings rpc_config(const config::property_set& cfg) {
    // Both were validated when the config was read.
    rpc_settings r{*config::parse_listener(cfg.get(props::rpc_listener)), std::nullopt};
    const auto& advertised = cfg.get(props::advertised_rpc_listener);
    if (!advertised.empty()) {
        r.advertised = *config::parse_listener(advertised);
    }
    r.seeds = *config::parse_voters(cfg.get(props::controller_quorum_voters));
    return r;
}

storage::log_config log_defaults(const config::property_set& cfg) {
    storage::log_config c;
    c.segment_bytes = static_cast<size_t>(cfg.get(props::segment_bytes));
    c.segment_ms = cfg.get(props::segment_ms);
    c.retention_ms = cfg.get(props::retention_ms);
    c.retention_bytes = cfg.get(props::retention_bytes);
    c.delete_retention_ms = cfg.get(props::delete_retention_ms);
    c.index_interval_bytes = static_cast<size_t>(cfg.get(props::index_interval_bytes));
    c.min_cleanable_dirty_ratio =
        std::strtod(cfg.get(props::min_cleanable_dirty_ratio).c_str(), nullptr);
    const auto& policy = cfg.get(props::cleanup_policy);
    c.cleanup_delete = std::find(policy.begin(), policy.end(), "delete") != policy.end();
    c.cleanup_compact =
        std::find(policy.begin(), policy.end(), "compact") != policy.end();
    return c;
}

kafka::backend backend_settings(const config::property_set& cfg) {
    kafka::backend b;
    b.node_config = &cfg;
    b.auto_create_topics = cfg.get(props::auto_create_topics_enable);
    b.default_partitions = static_cast<int32_t>(cfg.get(props::num_partitions));
    b.default_replication_factor =
        static_cast<int16_t>(cfg.get(props::default_replication_factor));
    b.message_max_bytes = static_cast<int32_t>(cfg.get(props::message_max_bytes));
    b.offsets_topic_partitions =
        static_cast<int32_t>(cfg.get(props::offsets_topic_num_partitions));
    b.transaction_state_partitions =
        static_cast<int32_t>(cfg.get(props::transaction_state_log_num_partitions));
    return b;
}

kafka::txn::manager_config txn_config(const config::property_set& cfg) {
    kafka::txn::manager_config c;
    c.max_timeout_ms = static_cast<int32_t>(cfg.get(props::transaction_max_timeout_ms));
    c.id_expiration_ms = cfg.get(props::transactional_id_expiration_ms);
    c.abort_check_interval = std::chrono::milliseconds(
        cfg.get(props::transaction_abort_timed_out_transaction_cleanup_interval_ms));
    c.state_partitions =
        static_cast<int32_t>(cfg.get(props::transaction_state_log_num_partitions));
    return c;
}

kafka::group::manager_config group_config(const config::property_set& cfg) {
    using std::chrono::milliseconds;
    kafka::group::manager_config c;
    c.limits.initial_rebalance_delay =
        milliseconds(cfg.get(props::group_initial_rebalance_delay_ms));
    c.limits.min_session_timeout_ms =
        static_cast<int32_t>(cfg.get(props::group_min_session_timeout_ms));
    c.limits.max_session_timeout_ms =
        static_cast<int32_t>(cfg.get(props::group_max_session_timeout_ms));
    c.limits.max_size = static_cast<int32_t>(cfg.get(props::group_max_size));
    c.offsets_retention = std::chrono::minutes(cfg.get(props::offsets_retention_minutes));
    c.retention_check_interval =
        milliseconds(cfg.get(props::offsets_retention_check_interval_ms));
    c.max_metadata_bytes = static_cast<size_t>(cfg.get(props::offset_metadata_max_bytes));
    return c;
}

storage::housekeeping_options housekeeping(const config::property_set& cfg) {
    storage::housekeeping_options o;
    o.producer_id_expiration_ms = cfg.get(props::producer_id_expiration_ms);
    o.producer_expiry_interval = std::chrono::milliseconds(
        cfg.get(props::producer_id_expiration_check_interval_ms));
    return o;
}

kafka::fetch_session_cache::limits fetch_session_limits(const config::property_set& cfg) {
    auto slots =
        static_cast<size_t>(cfg.get(props::max_incremental_fetch_session_cache_slots));
    auto shards = static_cast<size_t>(runtime::smp::instance().count());
    return {.max_sessions = (slots + shards - 1) / shards,
            .eviction = std::chrono::milliseconds(
                cfg.get(props::min_incremental_fetch_session_eviction_ms))};
}

// What one shard holds of the cluster: its copy of the topics and the
// partitions it owns.
struct shard_state {
    cluster::topic_table topics;
    cluster::members_table members;
    std::unique_ptr<cluster::partition_manager> partitions;
};

// Everything the node runs on its shards, started and stopped in order:
// the partitions of every shard, the controller on shard 0 (which replays
// the metadata log into them), the internal RPC on shard 0, then the Kafka
// listener.
class services {
public:
    services(kafka::server_config k, rpc_settings rpc, kafka::backend settings,
             std::string data_dir, storage::log_config defaults,
             kafka::fetch_session_cache::limits sessions, size_t memory_per_shard,
             kafka::group::manager_config groups,
             storage::housekeeping_options housekeeping, kafka::txn::manager_config txns)
      : _kafka_config(std::move(k))
      , _rpc_settings(std::move(rpc))
      , _settings(std::move(settings))
      , _data_dir(std::move(data_dir))
      , _defaults(defaults)
      , _session_limits(sessions)
      , _memory_per_shard(memory_per_shard)
      , _group_config(groups)
      , _housekeeping(housekeeping)
      , _txn_config(txns)
      , _shards(runtime::smp::instance().count())
      , _memory(runtime::smp::instance().count())
      , _groups(runtime::smp::instance().count())
      , _txns(runtime::smp::instance().count())
      , _fetch_sessions(runtime::smp::instance().count())
      , _kafka(runtime::smp::instance().count()) {
        // They outlive the shards' work: a commit on one shard may post a
        // wake-up or a leader change to another until the shards stop.
        for (unsigned i = 0; i < runtime::smp::instance().count(); ++i) {
            _fetch_waiters.push_back(std::make_unique<kafka::fetch_waiters>());
            _leaders.push_back(std::make_unique<cluster::leaders_table>());
        }
    }

    runtime::awaitable<void> start() {
        check_seeds();
        std::vector<kafka::fetch_waiters*> waiters;
        for (auto& w : _fetch_waiters) {
            waiters.push_back(w.get());
        }
        // Named: see CONTRIBUTING.md, "Coroutines".
        auto open_partitions = runtime::invoke_on_all([this,
                                                       waiters](runtime::shard_id id) {
            auto& s = _shards[id()];
            s = std::make_unique<shard_state>();
            cluster::partition_manager::raft_settings raft{.self = _kafka_config.node_id};
            raft.peers = peers_of(s->members);
            s->partitions = std::make_unique<cluster::partition_manager>(
                runtime::smp::instance().context(id).get_executor(), _data_dir, _defaults,
                _housekeeping, raft);
            if (auto r = s->partitions->open(); !r) {
                throw std::runtime_error("Raft state of shard " + std::to_string(id())
                                         + ": " + r.message());
            }
            s->partitions->on_commit([waiters](const std::string& topic, int32_t p) {
                kafka::wake_fetches(waiters, topic, p);
            });
            s->partitions->on_leadership([this](const std::string& topic, int32_t p,
                                                cluster::leaders_table::leader l) {
                publish_leader(topic, p, l);
            });
            s->partitions->start();
        });
        co_await std::move(open_partitions);
        co_await runtime::submit_to(runtime::shard_id(0), [this] { start_broadcast(); });
        // Peers may need this node's vote before its controller has applied
        // the metadata log.
        co_await runtime::submit_to(runtime::shard_id(0), [this] { listen_rpc(); });
        auto replayed = co_await runtime::submit_to(
            runtime::shard_id(0), [this]() -> runtime::awaitable<storage::result<void>> {
                cluster::controller::settings settings{.self = _kafka_config.node_id};
                for (const auto& v : _rpc_settings.seeds) {
                    settings.voters.emplace_back(v.id);
                }
                settings.peers = peers_of(_shards[0]->members);
                _controller = std::make_unique<cluster::controller>(
                    runtime::smp::instance().context(runtime::shard_id(0)).get_executor(),
                    _data_dir, std::move(settings),
                    [this](const cluster::topic_command& cmd) {
                        return apply_everywhere(cmd);
                    });
                _controller->on_leadership(
                    [this](raft::node_id leader) { publish_controller(leader); });
                co_return co_await _controller->start();
            });
        if (!replayed) {
            throw std::runtime_error("metadata log: " + replayed.message());
        }
        std::vector<cluster::partition_manager*> partitions;
        for (auto& s : _shards) {
            partitions.push_back(s->partitions.get());
        }
        // Each shard's group coordinator, over the partitions it owns.
        auto start_groups = runtime::invoke_on_all([this](runtime::shard_id id) {
            _groups[id()] = std::make_unique<kafka::group::group_manager>(
                runtime::smp::instance().context(id).get_executor(),
                *_shards[id()]->partitions, _group_config);
            _groups[id()]->start();
        });
        co_await std::move(start_groups);
        std::vector<kafka::group::group_manager*> groups;
        for (auto& g : _groups) {
            groups.push_back(g.get());
        }
        // Each shard's transaction coordinator, writing markers on every
        // shard and taking producer ids from the controller.
        kafka::txn::marker_targets targets{partitions, groups};
        auto start_txns = runtime::invoke_on_all([this, targets](runtime::shard_id id) {
            kafka::txn::txn_services services;
            auto* ctl = _controller.get();
            services.new_producer_id = [ctl]() {
                return runtime::submit_to(runtime::shard_id(0),
                                          [ctl] { return ctl->allocate_producer_id(); });
            };
            services.write_marker = [targets](kafka::txn::topic_partition tp, int64_t pid,
                                              int16_t epoch, bool commit) {
                return kafka::txn::write_marker(targets, std::move(tp), pid, epoch,
                                                commit);
            };
            _txns[id()] = std::make_unique<kafka::txn::txn_manager>(
                runtime::smp::instance().context(id).get_executor(),
                *_shards[id()]->partitions, _txn_config, std::move(services));
            _txns[id()]->start();
        });
        co_await std::move(start_txns);
        std::vector<kafka::txn::txn_manager*> txns;
        for (auto& t : _txns) {
            txns.push_back(t.get());
        }
        // Named: see CONTRIBUTING.md, "Coroutines".
        auto make_servers = runtime::invoke_on_all([this, partitions, waiters, groups,
                                                    txns](runtime::shard_id id) {
            _memory[id()] = std::make_unique<runtime::memory_budget>(
                runtime::smp::instance().context(id).get_executor(), _memory_per_shard);
            _fetch_sessions[id()] = std::make_unique<kafka::fetch_session_cache>(
                _session_limits, id(), runtime::smp::instance().count(),
                std::random_device{}());
            auto b = _settings;
            b.self = _kafka_config.node_id;
            b.topics = &_shards[id()]->topics;
            b.members = &_shards[id()]->members;
            b.leaders = _leaders[id()].get();
            b.partitions = partitions;
            b.controller = _controller.get();
            b.memory = _memory[id()].get();
            b.group_managers = groups;
            b.txn_managers = txns;
            b.fetch_sessions = _fetch_sessions[id()].get();
            b.waiting_fetches = waiters;
            _kafka[id()] = std::make_unique<kafka::server>(_kafka_config, std::move(b));
        });
        co_await std::move(make_servers);
        // Shard 0 listens and hands connections to every shard's server.
        std::vector<kafka::server*> servers;
        for (auto& s : _kafka) {
            servers.push_back(s.get());
        }
        auto listening = runtime::submit_to(
            runtime::shard_id(0), [this, servers] { return _kafka[0]->listen(servers); });
        uint16_t port = co_await std::move(listening);
        co_await runtime::invoke_on_all(
            [this, port](runtime::shard_id id) { _kafka[id()]->set_bound_port(port); });
        const auto& k = _kafka[0]->config();
        log.info("node {} of cluster {}: Kafka API listening on {}:{} (advertised "
                 "{}:{}), {} shards",
                 k.node_id(), k.cluster_id, k.listen.host, k.listen.port,
                 k.advertised.host, k.advertised.port, _kafka.size());
        _self = cluster::member{
            k.node_id, {k.advertised.host, k.advertised.port}, _rpc_advertised};
        co_await runtime::submit_to(runtime::shard_id(0), [this] {
            if (_background.try_enter()) {
                boost::asio::co_spawn(
                    runtime::smp::instance().context(runtime::shard_id(0)),
                    register_self(), boost::asio::detached);
            }
        });
    }

    runtime::awaitable<void> stop() {
        // Peers' batches stop coming before the partitions they feed stop.
        co_await runtime::submit_to(runtime::shard_id(0),
                                    [this]() -> runtime::awaitable<void> {
                                        _retry_timer.cancel();
                                        co_await _background.close();
                                        if (_broadcast) {
                                            co_await _broadcast->stop();
                                        }
                                        if (_rpc) {
                                            co_await _rpc->stop();
                                            _rpc.reset();
                                        }
                                    });
        co_await runtime::invoke_on_all([this](runtime::shard_id id) {
            if (auto& g = _groups[id()]) {
                g->shed_waiters();
            }
        });
        co_await runtime::invoke_on_all(
            [this](runtime::shard_id id) -> runtime::awaitable<void> {
                if (auto& s = _kafka[id()]) {
                    co_await s->stop();
                    s.reset();
                }
            });
        co_await runtime::invoke_on_all(
            [this](runtime::shard_id id) -> runtime::awaitable<void> {
                if (auto& t = _txns[id()]) {
                    co_await t->stop();
                    t.reset();
                }
            });
        co_await runtime::invoke_on_all(
            [this](runtime::shard_id id) -> runtime::awaitable<void> {
                if (auto& g = _groups[id()]) {
                    co_await g->stop();
                    g.reset();
                }
            });
        co_await runtime::submit_to(runtime::shard_id(0),
                                    [this]() -> runtime::awaitable<void> {
                                        if (_controller) {
                                            co_await _controller->stop();
                                            _controller.reset();
                                        }
                                    });
        co_await runtime::invoke_on_all(
            [this](runtime::shard_id id) -> runtime::awaitable<void> {
                if (auto& s = _shards[id()]) {
                    co_await s->partitions->stop();
                    s.reset();
                }
            });
    }

private:
    // A node that is not a controller voter would need to join a running
    // cluster, which is not built yet: refuse rather than run alone.
    void check_seeds() const {
        const auto& seeds = _rpc_settings.seeds;
        if (!seeds.empty()
            && std::none_of(seeds.begin(), seeds.end(), [this](const config::voter& v) {
                   return v.id == _kafka_config.node_id();
               })) {
            throw std::runtime_error(fmt::format(
                "node {} is not among the controller voters (controller.quorum.voters, "
                "--seeds); nodes joining a running cluster are not supported yet",
                _kafka_config.node_id()));
        }
    }

    // Where a peer's internal RPC listens: as it registered (on this
    // shard's copy of the members), else as the seeds say.
    cluster::peer_directory peers_of(const cluster::members_table& members) const {
        return [seeds = _rpc_settings.seeds,
                &members](raft::node_id n) -> std::optional<cluster::peer_address> {
            if (const auto* m = members.find(n)) {
                return m->rpc;
            }
            for (const auto& v : seeds) {
                if (v.id == n()) {
                    return cluster::peer_address{v.address.host, v.address.port};
                }
            }
            return std::nullopt;
        };
    }

    // On shard 0: until the controller has a cluster id and this node's
    // addresses as they are now, proposes them, every half second.
    runtime::awaitable<void> register_self() {
        runtime::gate_holder hold(_background);
        while (!_background.closing()) {
            // The first node to get its id into the log names the cluster;
            // the id precedes every registration in the log. Both are sent
            // to the leader when this node does not lead.
            auto named = cluster::controller_errc::none;
            if (_controller->members().cluster_id().empty()) {
                auto task = _controller->propose_cluster_id(_kafka_config.cluster_id);
                named = co_await std::move(task);
            }
            const auto* known = _controller->members().find(_self.id);
            if (known != nullptr && *known == _self
                && !_controller->members().cluster_id().empty()) {
                log.info("registered with the controller as node {} of cluster {}",
                         _self.id(), _controller->members().cluster_id());
                co_return;
            }
            if (named == cluster::controller_errc::none) {
                auto task = _controller->register_node(_self);
                co_await std::move(task);
            }
            _retry_timer.expires_after(std::chrono::milliseconds(500));
            boost::system::error_code ec;
            co_await _retry_timer.async_wait(
                boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
    }

    // On shard 0: this node's leaderships, told to the other nodes.
    void start_broadcast() {
        auto* members = &_shards[0]->members;
        auto peers = [members, seeds = _rpc_settings.seeds] {
            std::vector<raft::node_id> out;
            for (const auto& [id, m] : members->all()) {
                out.emplace_back(id);
            }
            for (const auto& v : seeds) {
                if (members->find(raft::node_id(v.id)) == nullptr) {
                    out.emplace_back(v.id);
                }
            }
            return out;
        };
        _broadcast = std::make_unique<cluster::leader_broadcast>(
            runtime::smp::instance().context(runtime::shard_id(0)).get_executor(),
            _kafka_config.node_id, std::move(peers), peers_of(*members));
        _broadcast->start();
    }

    // Another node's leaderships, told to every shard's table.
    void learn_leaders(const base::iobuf& in) {
        auto all = cluster::decode_leaderships(in);
        if (!all) {
            throw std::runtime_error("a malformed list of leaderships");
        }
        for (unsigned i = 0; i < _leaders.size(); ++i) {
            auto* table = _leaders[i].get();
            boost::asio::post(runtime::smp::instance().context(runtime::shard_id(i)),
                              [table, topics = &_shards[i]->topics, all = *all] {
                                  for (const auto& l : all) {
                                      // Only partitions this node knows of:
                                      // not a deleted topic's, nor garbage.
                                      const auto* t = topics->find(l.topic);
                                      if (t != nullptr && l.partition >= 0
                                          && l.partition < t->partitions) {
                                          table->set_if_newer(l.topic, l.partition,
                                                              l.leader);
                                      }
                                  }
                              });
        }
    }

    // The controller's leader, told to every shard's table.
    void publish_controller(raft::node_id leader) {
        for (unsigned i = 0; i < _leaders.size(); ++i) {
            auto* table = _leaders[i].get();
            boost::asio::post(runtime::smp::instance().context(runtime::shard_id(i)),
                              [table, leader] { table->set_controller(leader); });
        }
    }

    // On shard 0: the internal RPC server, serving peers' Raft batches.
    void listen_rpc() {
        const auto& at = _rpc_settings.listen;
        _rpc = std::make_unique<rpc::server>(
            runtime::smp::instance().context(runtime::shard_id(0)).get_executor(),
            rpc::server_config{});
        _rpc->register_method(cluster::raft_batch_method,
                              [this](base::iobuf in) -> runtime::awaitable<base::iobuf> {
                                  route_raft_batch(in);
                                  co_return base::iobuf{};
                              });
        _rpc->register_method(cluster::leaders_method,
                              [this](base::iobuf in) -> runtime::awaitable<base::iobuf> {
                                  learn_leaders(in);
                                  co_return base::iobuf{};
                              });
        _rpc->register_method(cluster::controller_method,
                              [this](base::iobuf in) -> runtime::awaitable<base::iobuf> {
                                  if (!_controller) {
                                      throw std::runtime_error(
                                          "the controller is not up");
                                  }
                                  auto task = _controller->serve(std::move(in));
                                  co_return co_await std::move(task);
                              });
        uint16_t port = 0;
        try {
            port = _rpc->listen(at.host, at.port);
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error(fmt::format(
                "the internal RPC cannot listen on {}:{} (rpc.listener, --rpc-addr): {}",
                at.host, at.port, e.code().message()));
        }
        auto advertised =
            _rpc_settings.advertised.value_or(config::endpoint{at.host, port});
        _rpc_advertised = {advertised.host, advertised.port};
        log.info("internal RPC listening on {}:{} (advertised {}:{})", at.host, port,
                 advertised.host, advertised.port);
    }

    // A peer's Raft batch, split by the shard that runs each group (the
    // controller's on this one) and handed to those shards in the order it
    // came. A batch for another
    // node is refused (the peer's directory is stale).
    void route_raft_batch(const base::iobuf& in) {
        auto b = raft::decode_batch(in);
        if (!b) {
            throw std::runtime_error("a malformed Raft batch");
        }
        if (b->to != _kafka_config.node_id) {
            throw std::runtime_error(
                fmt::format("a Raft batch for node {}, not this one", b->to()));
        }
        std::vector<raft::batch> per_shard(_shards.size());
        raft::batch for_controller{b->from, b->to, {}};
        for (auto& m : b->messages) {
            if (m.group == cluster::controller::group) {
                for_controller.messages.push_back(std::move(m));
            } else if (auto shard = _router.shard_of(m.group)) {
                per_shard[(*shard)()].messages.push_back(std::move(m));
            }
        }
        if (_controller && !for_controller.messages.empty()) {
            _controller->receive(std::move(for_controller));
        }
        for (unsigned i = 0; i < per_shard.size(); ++i) {
            if (per_shard[i].messages.empty()) {
                continue;
            }
            per_shard[i].from = b->from;
            per_shard[i].to = b->to;
            boost::asio::post(runtime::smp::instance().context(runtime::shard_id(i)),
                              [pm = _shards[i]->partitions.get(),
                               batch = std::move(per_shard[i])]() mutable {
                                  pm->receive(std::move(batch));
                              });
        }
    }

    // A partition's new leader, told to every shard's table in the order
    // its owner saw them, and to the other nodes when this one leads it.
    void publish_leader(const std::string& topic, int32_t p,
                        cluster::leaders_table::leader l) {
        for (unsigned i = 0; i < _leaders.size(); ++i) {
            auto* table = _leaders[i].get();
            boost::asio::post(runtime::smp::instance().context(runtime::shard_id(i)),
                              [table, topic, p, l] { table->set(topic, p, l); });
        }
        boost::asio::post(runtime::smp::instance().context(runtime::shard_id(0)),
                          [this, topic, p, l] {
                              if (_broadcast) {
                                  _broadcast->local_change(topic, p, l);
                              }
                          });
    }

    // A committed metadata command, applied on every shard in turn.
    runtime::awaitable<void> apply_everywhere(const cluster::topic_command& cmd) {
        unsigned count = runtime::smp::instance().count();
        co_await runtime::invoke_on_all(
            [this, &cmd, count](runtime::shard_id id) -> runtime::awaitable<void> {
                auto& s = *_shards[id()];
                if (const auto* del = std::get_if<cluster::delete_topic_cmd>(&cmd)) {
                    if (const auto* t = s.topics.find(del->name)) {
                        auto gone = *t;
                        s.topics.apply(cmd);
                        co_await s.partitions->drop(gone, count);
                    }
                    co_return;
                }
                if (const auto* reg = std::get_if<cluster::register_node_cmd>(&cmd)) {
                    s.members.apply(*reg);
                    co_return;
                }
                if (const auto* id = std::get_if<cluster::cluster_id_cmd>(&cmd)) {
                    s.members.apply(*id);
                    co_return;
                }
                s.topics.apply(cmd);
                std::string name =
                    std::visit([](const auto& c) { return topic_name(c); }, cmd);
                if (const auto* t = s.topics.find(name)) {
                    if (auto r = s.partitions->ensure(*t, count); !r) {
                        log.error("topic {}: {}", name, r.message());
                    }
                }
            });
        // The leaders the new partitions elected reached every shard's
        // table before this pass (posted earlier, run first), so a
        // Metadata request after the command finds them.
        auto barrier = runtime::invoke_on_all([this, &cmd](runtime::shard_id id) {
            if (const auto* del = std::get_if<cluster::delete_topic_cmd>(&cmd)) {
                _leaders[id()]->remove_topic(del->name);
                if (id == runtime::shard_id(0) && _broadcast) {
                    _broadcast->forget_topic(del->name);
                }
            }
        });
        co_await std::move(barrier);
        _router.rebuild(_shards[0]->topics, count);
    }

    static std::string topic_name(const cluster::create_topic_cmd& c) {
        return c.topic.name;
    }
    static std::string topic_name(const cluster::delete_topic_cmd& c) { return c.name; }
    static std::string topic_name(const cluster::create_partitions_cmd& c) {
        return c.name;
    }
    static std::string topic_name(const cluster::set_topic_configs_cmd& c) {
        return c.name;
    }
    // The controller keeps this command to itself (it names no topic).
    static std::string topic_name(const cluster::allocate_producer_ids_cmd&) {
        return {};
    }
    static std::string topic_name(const cluster::register_node_cmd&) { return {}; }
    static std::string topic_name(const cluster::cluster_id_cmd&) { return {}; }

    kafka::server_config _kafka_config;
    rpc_settings _rpc_settings;
    kafka::backend _settings;
    std::string _data_dir;
    storage::log_config _defaults;
    kafka::fetch_session_cache::limits _session_limits;
    size_t _memory_per_shard;
    kafka::group::manager_config _group_config;
    storage::housekeeping_options _housekeeping;
    kafka::txn::manager_config _txn_config;
    // One per shard, each created, used and destroyed on its own shard.
    std::vector<std::unique_ptr<shard_state>> _shards;
    std::vector<std::unique_ptr<runtime::memory_budget>> _memory;
    std::vector<std::unique_ptr<kafka::group::group_manager>> _groups;
    std::vector<std::unique_ptr<kafka::txn::txn_manager>> _txns;
    std::unique_ptr<cluster::controller> _controller;
    // Shard 0's: the internal RPC server, and where it sends each group.
    std::unique_ptr<rpc::server> _rpc;
    cluster::group_router _router;
    std::unique_ptr<cluster::leader_broadcast> _broadcast;
    // Shard 0's: the addresses this node registers, and the registration
    // loop's pacing and gate.
    cluster::node_address _rpc_advertised;
    cluster::member _self;
    boost::asio::steady_timer _retry_timer{
        runtime::smp::instance().context(runtime::shard_id(0))};
    runtime::gate _background{
        runtime::smp::instance().context(runtime::shard_id(0)).get_executor()};
    std::vector<std::unique_ptr<kafka::fetch_session_cache>> _fetch_sessions;
    std::vector<std::unique_ptr<kafka::fetch_waiters>> _fetch_waiters;
    std::vector<std::unique_ptr<cluster::leaders_table>> _leaders;
    std::vector<std::unique_ptr<kafka::server>> _kafka;
};

runtime::awaitable<void> run_until_signal(services& svc, int& exit_code) {
    auto ex = co_await boost::asio::this_coro::executor;
    boost::asio::signal_set signals(ex, SIGINT, SIGTERM);
    bool started = false;
    try {
        co_await svc.start();
        started = true;
    } catch (const std::exception& e) {
        log.error("cannot start: {}", e.what());
        exit_code = 1;
    }
    if (!started) {
        co_await svc.stop();
        runtime::smp::instance().stop();
        co_return;
    }
    int signal = co_await signals.async_wait(boost::asio::use_awaitable);
    log.info("stopping on signal {}", signal);
    co_await svc.stop();
    log.info("stopped");
    runtime::smp::instance().stop();
}

} // namespace

int run(const config::property_set& cfg) {
    base::set_log_level(*base::parse_log_level(cfg.get(props::log_level)));
    // Writes to a closed socket must fail with EPIPE, not kill the node.
    std::signal(SIGPIPE, SIG_IGN);

    auto dir = data_dir::open(cfg.get(props::log_dir));
    if (!dir) {
        log.error("{}", dir.message());
        return 1;
    }
    runtime::smp shards({.count = static_cast<unsigned>(cfg.get(props::smp)),
                         .pin = cfg.get(props::pin_shards)});
    if (auto r =
            cluster::partition_manager::prepare_raft_state(dir->path(), shards.count());
        !r) {
        log.error("Raft state in {}: {}", dir->path(), r.message());
        return 1;
    }
    services svc(kafka_config(cfg, *dir), rpc_config(cfg), backend_settings(cfg),
                 dir->path(), log_defaults(cfg), fetch_session_limits(cfg),
                 static_cast<size_t>(cfg.get(props::queued_max_request_bytes))
                     / shards.count(),
                 group_config(cfg), housekeeping(cfg), txn_config(cfg));
    int exit_code = 0;
    boost::asio::co_spawn(shards.context(runtime::shard_id(0)),
                          run_until_signal(svc, exit_code), boost::asio::detached);
    shards.start();
    shards.join();
    return exit_code;
}

} // namespace node
