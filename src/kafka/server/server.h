#pragma once

#include "kafka/server/backend.h"
#include "kafka/server/server_config.h"
#include "runtime/gate.h"
#include "runtime/smp.h"

#include <boost/asio/ip/tcp.hpp>

#include <list>
#include <memory>
#include <vector>

namespace kafka {

class connection;

// The Kafka API of one shard: the connections it serves. Shard 0's server
// also owns the listening socket and hands accepted connections to the
// shards in turn, so connections spread evenly and the port is bound once
// (a second node on the same port fails to start, which SO_REUSEPORT
// would have let through).
class server {
public:
    server(server_config cfg, backend node);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // On one shard only: binds, starts accepting and handing connections to
    // `shards` (one server per shard, indexed by shard id) in turn. Returns
    // the bound port (useful when the configured port is 0). Throws on a
    // bind failure.
    uint16_t listen(std::vector<server*> shards);
    // Sets the port the listener bound, on every shard's server.
    void set_bound_port(uint16_t port);
    // Serves an accepted connection (a socket descriptor) on this shard.
    void adopt(int fd);
    // Stops accepting, closes idle connections, lets requests in flight
    // finish (up to the shutdown grace) and waits until every connection
    // has ended.
    runtime::awaitable<void> stop();

    const server_config& config() const { return _config; }
    backend& node() { return _node; }
    bool stopping() const { return _gate.closing(); }

private:
    friend class connection;
    runtime::awaitable<void> accept_loop();
    runtime::awaitable<void> serve(std::shared_ptr<connection> c);

    server_config _config;
    backend _node;
    runtime::shard_id _shard;
    boost::asio::ip::tcp::acceptor _acceptor;
    std::vector<server*> _shards; // where the listener sends connections
    size_t _next_shard{0};
    runtime::gate _gate;
    std::list<std::shared_ptr<connection>> _connections;
};

} // namespace kafka
