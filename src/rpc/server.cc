#include "rpc/server.h"

#include "base/logger.h"
#include "rpc/transport.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <exception>

namespace rpc {
namespace {

base::logger log{"rpc"};

base::iobuf error_payload(errc e) {
    auto code = static_cast<uint16_t>(e);
    std::array<uint8_t, 2> bytes{static_cast<uint8_t>(code >> 8U),
                                 static_cast<uint8_t>(code & 0xFFU)};
    base::iobuf out;
    out.append(bytes.data(), bytes.size());
    return out;
}

} // namespace

struct server::connection {
    connection(boost::asio::ip::tcp::socket s, size_t max_queued_bytes)
      : writer(std::make_shared<frame_writer>(std::move(s), max_queued_bytes))
      , socket(writer->socket())
      , slot_free(socket.get_executor(), boost::asio::steady_timer::time_point::max()) {
        boost::system::error_code ec;
        auto remote = socket.remote_endpoint(ec);
        peer =
            ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
        socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    }
    void close() {
        boost::system::error_code ec;
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        socket.close(ec);
        slot_free.cancel();
    }

    std::shared_ptr<frame_writer> writer;
    boost::asio::ip::tcp::socket& socket;
    std::string peer;
    size_t in_flight{0};
    // Used as an event: cancelled when a request of this connection ends.
    boost::asio::steady_timer slot_free;
};

server::server(boost::asio::any_io_executor ex, server_config config)
  : _ex(ex)
  , _config(config)
  , _acceptor(ex)
  , _gate(ex) {}

server::~server() = default;

void server::register_method(uint16_t method, handler h) {
    _methods[method] = std::move(h);
}

uint16_t server::listen(const std::string& host, uint16_t port) {
    using boost::asio::ip::tcp;
    tcp::endpoint ep(boost::asio::ip::make_address(host), port);
    _acceptor.open(ep.protocol());
    _acceptor.set_option(tcp::acceptor::reuse_address(true));
    _acceptor.bind(ep);
    _acceptor.listen(boost::asio::socket_base::max_listen_connections);
    if (_gate.try_enter()) {
        boost::asio::co_spawn(_ex, accept_loop(), boost::asio::detached);
    }
    return _acceptor.local_endpoint().port();
}

runtime::awaitable<void> server::stop() {
    _gate.begin_close();
    boost::system::error_code ec;
    _acceptor.close(ec);
    for (const auto& c : _connections) {
        c->close();
    }
    co_await _gate.close();
}

runtime::awaitable<void> server::accept_loop() {
    runtime::gate_holder hold(_gate);
    while (_acceptor.is_open()) {
        boost::system::error_code ec;
        auto socket = co_await _acceptor.async_accept(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec) {
            if (!_acceptor.is_open()) {
                break;
            }
            log.warn("rpc accept failed: {}", ec.message());
            continue;
        }
        if (!_gate.try_enter()) {
            break;
        }
        auto c =
            std::make_shared<connection>(std::move(socket), _config.max_queued_bytes);
        _connections.insert(c);
        boost::asio::co_spawn(_ex, serve(c), boost::asio::detached);
    }
}

runtime::awaitable<void> server::serve(std::shared_ptr<connection> c) {
    runtime::gate_holder hold(_gate);
    try {
        while (c->socket.is_open()) {
            // Backpressure: a connection with its bound of requests in
            // flight is not read until one ends.
            while (c->in_flight >= _config.max_in_flight_per_connection
                   && c->socket.is_open()) {
                boost::system::error_code ec;
                c->slot_free.expires_at(boost::asio::steady_timer::time_point::max());
                co_await c->slot_free.async_wait(
                    boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            }
            std::string why;
            auto request = co_await read_frame(c->socket, _config.max_payload_bytes, why);
            if (!request || (request->head.flags & flags::response) != 0) {
                log.warn("closing rpc connection from {}: {}", c->peer,
                         request ? "a response where a request belongs" : why);
                break;
            }
            if (!_gate.try_enter()) {
                break;
            }
            ++c->in_flight;
            boost::asio::co_spawn(_ex, answer(c, std::move(*request)),
                                  boost::asio::detached);
        }
    } catch (const boost::system::system_error& e) {
        log.debug("rpc connection from {} ended: {}", c->peer, e.code().message());
    }
    c->close();
    _connections.erase(c);
}

runtime::awaitable<void> server::answer(std::shared_ptr<connection> c, frame request) {
    runtime::gate_holder hold(_gate);
    header h{.flags = flags::response,
             .method = request.head.method,
             .correlation = request.head.correlation};
    base::iobuf payload;
    auto it = _methods.find(request.head.method);
    if (it == _methods.end()) {
        h.flags |= flags::error;
        payload = error_payload(errc::method_not_found);
    } else {
        try {
            auto task = it->second(std::move(request.payload));
            payload = co_await std::move(task);
        } catch (const std::exception& e) {
            log.warn("rpc method {} from {} failed: {}", h.method, c->peer, e.what());
            h.flags |= flags::error;
            payload = error_payload(errc::handler_error);
        }
    }
    if (c->socket.is_open()) {
        c->writer->send(make_frame(h, std::move(payload)));
    }
    --c->in_flight;
    c->slot_free.cancel();
}

} // namespace rpc
