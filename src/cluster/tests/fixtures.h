#pragma once

// For tests of shard services (partition managers, the controller) and
// of nodes talking Raft over real sockets: a scratch directory, a body run
// on a one-shard reactor, peers on the loopback and a Raft endpoint.

#include "cluster/raft_transport.h"
#include "raft/wire.h"
#include "rpc/server.h"
#include "runtime/smp.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <string>

namespace cluster::testing {

// A directory under /tmp, removed with everything in it at the end.
struct temp_dir {
    temp_dir() {
        char tmpl[] = "/tmp/replication_test_XXXXXX";
        if (::mkdtemp(tmpl) != nullptr) {
            path = tmpl;
        }
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    std::string path;
};

// Runs the body on a shard (partition managers and the controller are
// shard services) and waits for it, a minute at most, on the test's thread.
inline void run_on_shard(
    const std::function<runtime::awaitable<void>(boost::asio::io_context&)>& body) {
    runtime::smp shards({.count = 1, .pin = false});
    shards.start();
    auto& io = shards.context(runtime::shard_id(0));
    std::promise<void> done;
    boost::asio::co_spawn(
        io,
        [&]() -> runtime::awaitable<void> {
            try {
                co_await body(io);
                done.set_value();
            } catch (...) {
                done.set_exception(std::current_exception());
            }
        },
        boost::asio::detached);
    auto finished = done.get_future();
    bool in_time =
        finished.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
    EXPECT_TRUE(in_time);
    if (in_time) {
        finished.get();
    }
    shards.stop();
    shards.join();
}

// Nodes on 127.0.0.1, at the ports their endpoints bound (filled in as
// they listen; the map must outlive the directory).
inline peer_directory loopback_peers(const std::map<int, uint16_t>& ports) {
    return [&ports](raft::node_id n) -> std::optional<peer_address> {
        auto it = ports.find(n());
        if (it == ports.end()) {
            return std::nullopt;
        }
        return peer_address{"127.0.0.1", it->second};
    };
}

// A node's internal RPC server on 127.0.0.1, handing peers' Raft batches
// to `deliver`.
class raft_endpoint {
public:
    raft_endpoint(boost::asio::any_io_executor ex,
                  std::function<void(raft::batch)> deliver)
      : _server(std::move(ex), {})
      , _deliver(std::move(deliver)) {
        _server.register_method(
            raft_batch_method, [this](base::iobuf in) -> runtime::awaitable<base::iobuf> {
                if (auto b = raft::decode_batch(in)) {
                    _deliver(std::move(*b));
                }
                co_return base::iobuf{};
            });
    }

    uint16_t listen() { return _server.listen("127.0.0.1", 0); }
    runtime::awaitable<void> stop() { co_await _server.stop(); }

private:
    rpc::server _server;
    std::function<void(raft::batch)> _deliver;
};

} // namespace cluster::testing
