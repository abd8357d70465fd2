#include "rpc/client.h"

#include "base/logger.h"
#include "rpc/transport.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>

#include <optional>

namespace rpc {
namespace {

base::logger log{"rpc"};

errc error_of(const base::iobuf& payload) {
    auto bytes = payload.to_vector();
    if (bytes.size() != 2) {
        return errc::handler_error;
    }
    return static_cast<errc>(static_cast<int16_t>((bytes[0] << 8U) | bytes[1]));
}

} // namespace

// One connection to the peer; replaced when it fails.
struct client::link {
    link(boost::asio::any_io_executor ex, size_t max_queued_bytes)
      : writer(std::make_shared<frame_writer>(boost::asio::ip::tcp::socket(ex),
                                              max_queued_bytes))
      , socket(writer->socket()) {}
    std::shared_ptr<frame_writer> writer;
    boost::asio::ip::tcp::socket& socket;
};

// A call waiting for its answer: the timer is its deadline, cancelled when
// the answer (or the connection's end) comes first.
struct client::pending {
    explicit pending(boost::asio::any_io_executor ex)
      : timer(ex) {}
    boost::asio::steady_timer timer;
    std::optional<call_result> answer;
};

client::client(boost::asio::any_io_executor ex, std::string host, uint16_t port,
               client_config config)
  : _ex(ex)
  , _host(std::move(host))
  , _port(port)
  , _config(config) {}

client::~client() {
    close();
    *_alive = false;
}

void client::close() {
    if (_link) {
        drop(_link);
    }
}

void client::drop(const std::shared_ptr<link>& l) {
    if (_link != l) {
        return; // an older connection: its calls were failed already
    }
    boost::system::error_code ec;
    l->socket.close(ec);
    _link.reset();
    for (auto& [id, p] : _pending) {
        p->answer = call_result(base::make_error(errc::disconnected, "connection lost"));
        p->timer.cancel();
    }
    _pending.clear();
}

runtime::awaitable<std::shared_ptr<client::link>> client::connected(
    std::chrono::steady_clock::time_point deadline) {
    while (_connecting) {
        // Another call is connecting: wait for it (or the deadline).
        auto waiting = _connecting;
        boost::system::error_code ec;
        co_await waiting->async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (std::chrono::steady_clock::now() >= deadline) {
            co_return nullptr;
        }
    }
    if (_link) {
        co_return _link;
    }
    auto wake = std::make_shared<boost::asio::steady_timer>(_ex, deadline);
    _connecting = wake;
    auto l = std::make_shared<link>(_ex, _config.max_queued_bytes);
    // The deadline bounds the connect too: the watchdog closes the socket.
    auto watchdog = std::make_shared<boost::asio::steady_timer>(_ex, deadline);
    watchdog->async_wait([l](boost::system::error_code ec) {
        if (!ec) {
            l->socket.close(ec);
        }
    });
    boost::system::error_code ec;
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address(_host, ec), _port);
    if (!ec) {
        co_await l->socket.async_connect(
            ep, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    watchdog->cancel();
    _connecting.reset();
    wake->cancel();
    if (ec || !l->socket.is_open()) {
        log.debug("rpc connection to {}:{} failed: {}", _host, _port, ec.message());
        co_return nullptr;
    }
    l->socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    _link = l;
    boost::asio::co_spawn(_ex, read_answers(l, _alive), boost::asio::detached);
    co_return l;
}

runtime::awaitable<void> client::read_answers(std::shared_ptr<link> l,
                                              std::shared_ptr<bool> alive) {
    try {
        while (l->socket.is_open()) {
            std::string why;
            auto max_payload = _config.max_payload_bytes;
            auto answer = co_await read_frame(l->socket, max_payload, why);
            if (!*alive) {
                co_return;
            }
            if (!answer || (answer->head.flags & flags::response) == 0) {
                log.warn("dropping the rpc connection to {}:{}: {}", _host, _port,
                         answer ? "a request where an answer belongs" : why);
                break;
            }
            auto it = _pending.find(answer->head.correlation);
            if (it == _pending.end()) {
                continue; // its call timed out
            }
            auto p = it->second;
            _pending.erase(it);
            if ((answer->head.flags & flags::error) != 0) {
                p->answer = call_result(base::make_error(error_of(answer->payload)));
            } else {
                p->answer = call_result(std::move(answer->payload));
            }
            p->timer.cancel();
        }
    } catch (const boost::system::system_error& e) {
        if (!*alive) {
            co_return;
        }
        log.debug("rpc connection to {}:{} ended: {}", _host, _port, e.code().message());
    }
    drop(l);
}

runtime::awaitable<call_result> client::call(uint16_t method, base::iobuf payload,
                                             std::chrono::milliseconds timeout) {
    if (_pending.size() >= _config.max_outstanding) {
        co_return call_result(base::make_error(errc::overloaded));
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto l = co_await connected(deadline);
    if (!l) {
        co_return call_result(base::make_error(
            std::chrono::steady_clock::now() >= deadline ? errc::timeout
                                                         : errc::disconnected));
    }
    auto id = _next_correlation++;
    auto p = std::make_shared<pending>(_ex);
    p->timer.expires_at(deadline);
    _pending[id] = p;
    l->writer->send(
        make_frame(header{.method = method, .correlation = id}, std::move(payload)));
    boost::system::error_code ec;
    co_await p->timer.async_wait(
        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (p->answer) {
        co_return std::move(*p->answer);
    }
    _pending.erase(id);
    co_return call_result(base::make_error(errc::timeout));
}

} // namespace rpc
