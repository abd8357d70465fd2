#include "rpc/transport.h"

#include "base/crc.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <vector>

namespace rpc {

runtime::awaitable<std::optional<frame>> read_frame(boost::asio::ip::tcp::socket& socket,
                                                    uint32_t max_payload_bytes,
                                                    std::string& why) {
    std::array<uint8_t, header_bytes> head{};
    co_await boost::asio::async_read(socket, boost::asio::buffer(head),
                                     boost::asio::use_awaitable);
    auto decoded = decode_header(head, max_payload_bytes);
    if (!decoded.value) {
        why = std::move(decoded.error);
        co_return std::nullopt;
    }
    auto h = *decoded.value;
    std::shared_ptr<uint8_t[]> buffer(new uint8_t[h.payload_bytes]);
    co_await boost::asio::async_read(socket,
                                     boost::asio::buffer(buffer.get(), h.payload_bytes),
                                     boost::asio::use_awaitable);
    auto payload = base::iobuf::adopt(std::move(buffer), h.payload_bytes);
    if (base::crc32c(payload) != h.payload_crc) {
        why = fmt::format("payload crc mismatch on a frame of {} bytes", h.payload_bytes);
        co_return std::nullopt;
    }
    co_return frame{h, std::move(payload)};
}

void frame_writer::send(base::iobuf frame) {
    if (!_socket.is_open()) {
        return;
    }
    _queued_bytes += frame.size_bytes();
    if (_queued_bytes > _max_queued_bytes) {
        boost::system::error_code ec;
        _socket.close(ec); // the peer does not read what it asked for
        _queue.clear();
        _queued_bytes = 0;
        return;
    }
    _queue.push_back(std::move(frame));
    if (!_writing) {
        _writing = true;
        boost::asio::co_spawn(_socket.get_executor(), drain(shared_from_this()),
                              boost::asio::detached);
    }
}

runtime::awaitable<void> frame_writer::drain(
    [[maybe_unused]] std::shared_ptr<frame_writer> self) {
    while (!_queue.empty()) {
        auto next = std::move(_queue.front());
        _queue.pop_front();
        _queued_bytes -= next.size_bytes();
        std::vector<boost::asio::const_buffer> buffers;
        buffers.reserve(next.fragments().size());
        for (const auto& f : next.fragments()) {
            buffers.emplace_back(f.data(), f.size());
        }
        boost::system::error_code ec;
        co_await boost::asio::async_write(
            _socket, buffers,
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec) {
            _queue.clear();
            _queued_bytes = 0;
            _socket.close(ec);
            break;
        }
    }
    _writing = false;
}

} // namespace rpc
