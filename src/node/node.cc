#include "node/node.h"

#include "base/logger.h"
#include "config/endpoint.h"
#include "config/properties.h"
#include "kafka/server/server.h"
#include "node/data_dir.h"
#include "runtime/smp.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <memory>
#include <vector>

namespace node {
namespace {

namespace props = config::properties;
base::logger log{"node"};

kafka::server_config kafka_config(const config::property_set& cfg, const data_dir& dir) {
    kafka::server_config k;
    k.node_id = model::node_id(static_cast<int32_t>(cfg.get(props::node_id)));
    // Both listeners were validated when the config was read.
    k.listen = *config::parse_listener(cfg.get(props::listeners));
    const auto& advertised = cfg.get(props::advertised_listeners);
    k.advertised = advertised.empty() ? k.listen : *config::parse_listener(advertised);
    k.cluster_id = dir.cluster_id();
    k.max_request_bytes = static_cast<int32_t>(cfg.get(props::socket_request_max_bytes));
    k.shutdown_grace = std::chrono::milliseconds(cfg.get(props::shutdown_grace_ms));
    k.max_idle = std::chrono::milliseconds(cfg.get(props::connections_max_idle_ms));
    return k;
}

// Everything the node runs on its shards, started and stopped in order.
class services {
public:
    explicit services(kafka::server_config k)
      : _kafka_config(std::move(k))
      , _kafka(runtime::smp::instance().count()) {}

    runtime::awaitable<void> start() {
        co_await runtime::invoke_on_all([this](runtime::shard_id id) {
            _kafka[id()] = std::make_unique<kafka::server>(_kafka_config);
        });
        // Shard 0 listens and hands connections to every shard's server.
        std::vector<kafka::server*> shards;
        for (auto& s : _kafka) {
            shards.push_back(s.get());
        }
        auto listening = runtime::submit_to(
            runtime::shard_id(0), [this, shards] { return _kafka[0]->listen(shards); });
        uint16_t port = co_await std::move(listening);
        co_await runtime::invoke_on_all(
            [this, port](runtime::shard_id id) { _kafka[id()]->set_bound_port(port); });
        const auto& k = _kafka[0]->config();
        log.info("node {} of cluster {}: Kafka API listening on {}:{} (advertised "
                 "{}:{}), {} shards",
                 k.node_id(), k.cluster_id, k.listen.host, k.listen.port,
                 k.advertised.host, k.advertised.port, _kafka.size());
    }

    runtime::awaitable<void> stop() {
        co_await runtime::invoke_on_all(
            [this](runtime::shard_id id) -> runtime::awaitable<void> {
                if (auto& s = _kafka[id()]) {
                    co_await s->stop();
                    s.reset();
                }
            });
    }

private:
    kafka::server_config _kafka_config;
    // One per shard, each created, used and destroyed on its own shard.
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
    services svc(kafka_config(cfg, *dir));
    int exit_code = 0;
    boost::asio::co_spawn(shards.context(runtime::shard_id(0)),
                          run_until_signal(svc, exit_code), boost::asio::detached);
    shards.start();
    shards.join();
    return exit_code;
}

} // namespace node
