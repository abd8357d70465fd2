#pragma once

#include "base/iobuf.h"
#include "rpc/frame.h"
#include "runtime/gate.h"
#include "runtime/smp.h"

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace rpc {

struct frame;

struct server_config {
    // A frame's payload above this closes the connection.
    uint32_t max_payload_bytes{64U << 20U};
    // Requests served at once per connection; beyond it the connection is
    // not read (backpressure through TCP).
    size_t max_in_flight_per_connection{64};
    // Answers waiting to be written to one connection; a peer that lets more
    // pile up unread is disconnected.
    size_t max_queued_bytes{128U << 20U};
};

// A method's handler: the request's payload in, the response's out. An
// exception becomes a handler_error answer.
using handler = std::function<runtime::awaitable<base::iobuf>(base::iobuf)>;

// The internal RPC server of one shard: accepts peers' connections, reads
// their frames, runs each request's handler (several at once per
// connection, up to a bound) and writes the answers as they come. A peer
// that sends anything but valid request frames is logged and disconnected.
class server {
public:
    server(boost::asio::any_io_executor ex, server_config config);
    ~server();

    void register_method(uint16_t method, handler h);
    // Listens on host:port (0 picks one); the port bound.
    uint16_t listen(const std::string& host, uint16_t port);
    // Stops accepting, closes every connection, waits for their requests.
    runtime::awaitable<void> stop();

    size_t connection_count() const { return _connections.size(); }

private:
    struct connection;
    runtime::awaitable<void> accept_loop();
    runtime::awaitable<void> serve(std::shared_ptr<connection> c);
    runtime::awaitable<void> answer(std::shared_ptr<connection> c, frame request);

    boost::asio::any_io_executor _ex;
    server_config _config;
    boost::asio::ip::tcp::acceptor _acceptor;
    std::map<uint16_t, handler> _methods;
    std::set<std::shared_ptr<connection>> _connections;
    runtime::gate _gate;
};

} // namespace rpc
