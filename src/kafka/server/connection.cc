#include "kafka/server/connection.h"

#include "base/logger.h"
#include "kafka/protocol/header_versions.h"
#include "kafka/protocol/messages/api_catalog.h"
#include "kafka/protocol/messages/headers.h"
#include "kafka/server/api_table.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/request_context.h"
#include "kafka/server/server.h"

#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>

#include <vector>

namespace kafka {
namespace {

base::logger log{"kafka"};

// api_key, api_version and correlation_id: the part of a request header
// every version shares.
constexpr size_t fixed_header_bytes = 8;

int32_t read_be32(const uint8_t* p) {
    return static_cast<int32_t>((uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16)
                                | (uint32_t(p[2]) << 8) | uint32_t(p[3]));
}

} // namespace

connection::connection(server& srv, boost::asio::ip::tcp::socket socket)
  : _server(srv)
  , _socket(std::move(socket))
  , _max_idle(srv.config().max_idle)
  , _idle_timer(_socket.get_executor()) {
    boost::system::error_code ec;
    auto remote = _socket.remote_endpoint(ec);
    _peer_host = ec ? "?" : remote.address().to_string();
    _peer = ec ? "?" : _peer_host + ":" + std::to_string(remote.port());
    _socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
}

void connection::shutdown_if_idle() {
    if (_idle) {
        close();
    }
}

void connection::close() {
    _idle_timer.cancel();
    boost::system::error_code ec;
    _socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    _socket.close(ec);
}

runtime::awaitable<void> connection::watch_idle(std::shared_ptr<connection> self) {
    using clock = std::chrono::steady_clock;
    while (self->_socket.is_open()) {
        auto deadline = self->_idle_since + self->_max_idle;
        if (self->_idle && clock::now() >= deadline) {
            log.info(
                "closing connection from {}: idle for {} ms (connections.max.idle.ms)",
                self->_peer, self->_max_idle.count());
            self->close();
            co_return;
        }
        // Busy connections are checked again a full period later.
        self->_idle_timer.expires_at(self->_idle ? deadline
                                                 : clock::now() + self->_max_idle);
        boost::system::error_code ec;
        co_await self->_idle_timer.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
}

runtime::awaitable<void> connection::run() {
    try {
        while (co_await serve_one()) {
            if (_server.stopping()) {
                break;
            }
        }
    } catch (const boost::system::system_error& e) {
        // The peer went away or the socket was closed on shutdown.
        log.debug("connection from {} ended: {}", _peer, e.code().message());
    }
    close();
}

// Serves one request; false when the connection is to be closed.
runtime::awaitable<bool> connection::serve_one() {
    using boost::asio::use_awaitable;
    // Until a whole request has arrived the connection counts as idle: a
    // shutdown closes it at once, so a slow or stuck client cannot hold
    // the node up.
    _idle = true;
    _idle_since = std::chrono::steady_clock::now();
    uint8_t size_bytes[4];
    co_await boost::asio::async_read(_socket, boost::asio::buffer(size_bytes),
                                     use_awaitable);

    int32_t size = read_be32(size_bytes);
    const auto& cfg = _server.config();
    if (size < 0 || size > cfg.max_request_bytes) {
        log.warn("closing connection from {}: request size {} outside [0, {}] "
                 "(socket.request.max.bytes)",
                 _peer, size, cfg.max_request_bytes);
        co_return false;
    }
    // The request's bytes count against the shard's memory budget until its
    // response is written; while the budget is spent, this connection reads
    // no further and TCP slows the client down.
    auto held = co_await _server.node().memory->wait_for(static_cast<size_t>(size));
    // One buffer per request: the record batches a request carries are
    // shared out of it (to the log, to replicas), never copied.
    std::shared_ptr<uint8_t[]> buffer(new uint8_t[static_cast<size_t>(size)]);
    co_await boost::asio::async_read(
        _socket, boost::asio::buffer(buffer.get(), static_cast<size_t>(size)),
        use_awaitable);
    auto frame = base::iobuf::adopt(std::move(buffer), static_cast<size_t>(size));
    _idle = false;

    int32_t correlation_id = 0;
    int16_t header_version = 0;
    bool respond = true;
    runtime::memory_budget::units response_memory;
    auto body = co_await dispatch(frame, correlation_id, header_version, respond,
                                  response_memory);
    if (!body) {
        co_return false;
    }
    if (!respond) {
        co_return true;
    }
    co_await write_response(correlation_id, header_version, std::move(*body));
    co_return true;
}

runtime::awaitable<std::optional<base::iobuf>> connection::dispatch(
    const base::iobuf& frame, int32_t& correlation_id,
    int16_t& response_header_version_out, bool& respond_out,
    runtime::memory_budget::units& response_memory) {
    if (frame.size_bytes() < fixed_header_bytes) {
        log.warn("closing connection from {}: request of {} bytes has no header", _peer,
                 frame.size_bytes());
        co_return std::nullopt;
    }
    protocol::reader fixed(frame);
    int16_t key = fixed.read_int16();
    int16_t version = fixed.read_int16();
    correlation_id = fixed.read_int32();

    const api_entry* api = find_api(key);
    if (api && key == protocol::api_key::api_versions
        && (version < api->min_version || version > api->max_version)) {
        log.debug("ApiVersions v{} from {}: unsupported", version, _peer);
        response_header_version_out = 0;
        co_return handlers::api_versions_unsupported();
    }
    if (!api || version < api->min_version || version > api->max_version) {
        log.warn("closing connection from {}: api {} v{} is not served", _peer, key,
                 version);
        co_return std::nullopt;
    }

    protocol::reader r(frame);
    protocol::request_header header;
    header.decode(r,
                  protocol::request_header_version(api->first_flexible_version, version));
    if (r.failed()) {
        log.warn("closing connection from {}: malformed {} v{} header: {}", _peer,
                 api->name, version, r.error());
        co_return std::nullopt;
    }
    response_header_version_out =
        protocol::response_header_version(api->key, api->first_flexible_version, version);
    request_context ctx{header, r, _server.config(), _server.node()};
    ctx.client_host = _peer_host;
    auto body = co_await api->serve(ctx);
    respond_out = ctx.respond;
    response_memory = std::move(ctx.response_memory);
    if (!body) {
        log.warn("closing connection from {}: malformed {} v{} request: {}", _peer,
                 api->name, version, r.error());
    }
    co_return body;
}

runtime::awaitable<void> connection::write_response(int32_t correlation_id,
                                                    int16_t header_version,
                                                    base::iobuf body) {
    protocol::response_header header{.correlation_id = correlation_id};
    base::iobuf head;
    protocol::writer w(head);
    w.write_int32(
        static_cast<int32_t>(header.encoded_size(header_version) + body.size_bytes()));
    header.encode(w, header_version);
    head.append(std::move(body));

    std::vector<boost::asio::const_buffer> buffers;
    buffers.reserve(head.fragments().size());
    for (const auto& f : head.fragments()) {
        buffers.emplace_back(f.data(), f.size());
    }
    co_await boost::asio::async_write(_socket, buffers, boost::asio::use_awaitable);
}

} // namespace kafka
