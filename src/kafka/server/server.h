#pragma once

#include "kafka/server/server_config.h"
#include "runtime/gate.h"
#include "runtime/smp.h"

#include <boost/asio/ip/tcp.hpp>

#include <list>
#include <memory>

namespace kafka {

class connection;

// The Kafka listener of one shard. Every shard listens on the same port
// (SO_REUSEPORT), so the kernel spreads connections over shards and no
// connection is ever handed between them.
class server {
public:
    explicit server(server_config cfg);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds and starts accepting; returns the bound port (useful when the
    // configured port is 0). Throws on a bind failure.
    uint16_t start();
    // Stops accepting, closes idle connections, lets requests in flight
    // finish (up to the shutdown grace) and waits until every connection
    // has ended.
    runtime::awaitable<void> stop();

    const server_config& config() const { return _config; }
    bool stopping() const { return _gate.closing(); }

private:
    friend class connection;
    runtime::awaitable<void> accept_loop();
    runtime::awaitable<void> serve(std::shared_ptr<connection> c);

    server_config _config;
    boost::asio::ip::tcp::acceptor _acceptor;
    runtime::gate _gate;
    std::list<std::shared_ptr<connection>> _connections;
};

} // namespace kafka
