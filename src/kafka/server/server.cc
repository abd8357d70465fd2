#include "kafka/server/server.h"

#include "base/logger.h"
#include "kafka/server/connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include <sys/socket.h>
#include <unistd.h>

namespace kafka {
namespace {

base::logger log{"kafka"};

boost::asio::ip::tcp local_protocol(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0
        && addr.ss_family == AF_INET6) {
        return boost::asio::ip::tcp::v6();
    }
    return boost::asio::ip::tcp::v4();
}

} // namespace

server::server(server_config cfg, backend node)
  : _config(std::move(cfg))
  , _node(std::move(node))
  , _shard(runtime::this_shard())
  , _acceptor(runtime::smp::instance().context(_shard))
  , _gate(_acceptor.get_executor()) {}

server::~server() = default;

uint16_t server::listen(std::vector<server*> shards) {
    namespace ip = boost::asio::ip;
    _shards = std::move(shards);
    ip::tcp::resolver resolver(_acceptor.get_executor());
    auto addresses =
        resolver.resolve(_config.listen.host, std::to_string(_config.listen.port),
                         ip::tcp::resolver::passive | ip::tcp::resolver::numeric_service);
    ip::tcp::endpoint ep = addresses.begin()->endpoint();
    _acceptor.open(ep.protocol());
    _acceptor.set_option(ip::tcp::acceptor::reuse_address(true));
    _acceptor.bind(ep);
    _acceptor.listen(boost::asio::socket_base::max_listen_connections);
    _gate.try_enter(); // the accept loop
    boost::asio::co_spawn(_acceptor.get_executor(), accept_loop(), boost::asio::detached);
    uint16_t port = _acceptor.local_endpoint().port();
    set_bound_port(port);
    return port;
}

void server::set_bound_port(uint16_t port) {
    // A configured port of 0 means "any": clients are told the real one.
    _config.listen.port = port;
    if (_config.advertised.port == 0) {
        _config.advertised.port = port;
    }
}

namespace {

// Paces an accept loop whose accepts fail (EMFILE, ENFILE, ENOBUFS): waits
// from 10 ms doubling to 1 s, and logs the first failure of a run and then
// at most one line every 10 s with how many it left out.
class accept_backoff {
public:
    using clock = std::chrono::steady_clock;

    std::chrono::milliseconds failed(const std::string& why) {
        auto now = clock::now();
        if (_failures == 0 || now - _last_log >= log_interval) {
            log.warn("accept failed: {} ({} more failures since the last report); "
                     "retrying in {} ms",
                     why, _unreported, _wait.count());
            _last_log = now;
            _unreported = 0;
        } else {
            ++_unreported;
        }
        ++_failures;
        auto wait = _wait;
        _wait = std::min(_wait * 2, max_wait);
        return wait;
    }

    void succeeded() {
        if (_failures > 0) {
            log.info("accepting connections again after {} failed accepts", _failures);
        }
        _failures = 0;
        _unreported = 0;
        _wait = min_wait;
    }

private:
    static constexpr std::chrono::milliseconds min_wait{10};
    static constexpr std::chrono::milliseconds max_wait{1000};
    static constexpr std::chrono::seconds log_interval{10};

    std::chrono::milliseconds _wait{min_wait};
    uint64_t _failures{0};
    uint64_t _unreported{0};
    clock::time_point _last_log{};
};

} // namespace

runtime::awaitable<void> server::accept_loop() {
    runtime::gate_holder hold(_gate);
    boost::asio::steady_timer pause(_acceptor.get_executor());
    accept_backoff backoff;
    for (;;) {
        boost::system::error_code ec;
        auto socket = co_await _acceptor.async_accept(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec == boost::asio::error::operation_aborted || !_acceptor.is_open()) {
            co_return;
        }
        if (ec) {
            // Out of descriptors and the like: the pending connection stays
            // in the backlog, so an immediate retry fails again. Wait,
            // longer each time, and keep serving the connections there are.
            auto wait = backoff.failed(ec.message());
            pause.expires_after(wait);
            co_await pause.async_wait(
                boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            continue;
        }
        backoff.succeeded();
        server* target = _shards[_next_shard++ % _shards.size()];
        int fd = socket.release();
        if (target == this) {
            adopt(fd);
            continue;
        }
        // The descriptor crosses shards as a number; the target shard wraps
        // it in a socket on its own io_context.
        auto& ctx = runtime::smp::instance().context(target->_shard);
        boost::asio::post(ctx, [target, fd] { target->adopt(fd); });
    }
}

void server::adopt(int fd) {
    boost::asio::ip::tcp::socket socket(runtime::smp::instance().context(_shard));
    boost::system::error_code ec;
    socket.assign(local_protocol(fd), fd, ec);
    if (ec) {
        ::close(fd);
        log.warn("cannot serve an accepted connection: {}", ec.message());
        return;
    }
    if (!_gate.try_enter()) {
        socket.close(ec); // stopping: the connection ends here
        return;
    }
    auto c = std::make_shared<connection>(*this, std::move(socket));
    boost::asio::co_spawn(_acceptor.get_executor(), connection::watch_idle(c),
                          boost::asio::detached);
    boost::asio::co_spawn(_acceptor.get_executor(), serve(std::move(c)),
                          boost::asio::detached);
}

runtime::awaitable<void> server::serve(std::shared_ptr<connection> c) {
    runtime::gate_holder hold(_gate);
    auto it = _connections.insert(_connections.end(), c);
    try {
        co_await c->run();
    } catch (const std::exception& e) {
        // A handler bug must cost one connection, not the node.
        log.error("connection failed: {}", e.what());
        c->close();
    }
    _connections.erase(it);
}

runtime::awaitable<void> server::stop() {
    boost::system::error_code ec;
    _acceptor.close(ec);
    _gate.begin_close();
    for (auto& c : _connections) {
        c->shutdown_if_idle();
    }
    // Requests still in flight get the grace period, then their
    // connections are closed too.
    auto grace = std::make_shared<boost::asio::steady_timer>(_acceptor.get_executor(),
                                                             _config.shutdown_grace);
    boost::asio::co_spawn(
        _acceptor.get_executor(),
        [this, grace]() -> runtime::awaitable<void> {
            boost::system::error_code wait_ec;
            co_await grace->async_wait(
                boost::asio::redirect_error(boost::asio::use_awaitable, wait_ec));
            if (!wait_ec) {
                log.warn("closing {} connections still busy after the grace "
                         "period",
                         _connections.size());
                for (auto& c : _connections) {
                    c->close();
                }
            }
        },
        boost::asio::detached);
    co_await _gate.close();
    grace->cancel();
}

} // namespace kafka
