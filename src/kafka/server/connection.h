#pragma once

#include "base/iobuf.h"
#include "runtime/memory_budget.h"
#include "runtime/smp.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

#include <memory>
#include <optional>
#include <span>

namespace kafka {

class server;

// One client connection: reads size-framed requests one at a time, serves
// each through its API's handler and writes the response, in order.
class connection {
public:
    connection(server& srv, boost::asio::ip::tcp::socket socket);

    runtime::awaitable<void> run();
    // Closes the socket now if no request is being served, else after the
    // current response.
    void shutdown_if_idle();
    void close();
    // Closes the connection once it has waited connections.max.idle.ms
    // for a request; ends when the connection does.
    static runtime::awaitable<void> watch_idle(std::shared_ptr<connection> self);

private:
    runtime::awaitable<bool> serve_one();
    runtime::awaitable<std::optional<base::iobuf>> dispatch(
        const base::iobuf& frame, int32_t& correlation_id,
        int16_t& response_header_version, bool& respond,
        runtime::memory_budget::units& response_memory);
    runtime::awaitable<void> write_response(int32_t correlation_id,
                                            int16_t header_version, base::iobuf body);

    server& _server;
    boost::asio::ip::tcp::socket _socket;
    std::string _peer;
    // The client's address alone, as groups report it (client_host).
    std::string _peer_host;
    bool _idle{true};
    std::chrono::milliseconds _max_idle;
    std::chrono::steady_clock::time_point _idle_since{std::chrono::steady_clock::now()};
    boost::asio::steady_timer _idle_timer;
};

} // namespace kafka
