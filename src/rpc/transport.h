#pragma once

#include "base/iobuf.h"
#include "rpc/frame.h"
#include "runtime/smp.h"

#include <boost/asio/ip/tcp.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>

// What the server and the client share: reading one whole frame from a
// socket, and writing frames one after another from many callers.

namespace rpc {

struct frame {
    header head;
    base::iobuf payload;
};

// One frame; none (with `why` set) when the bytes are not a valid frame of
// ours: the connection is then to be closed. Socket errors throw.
runtime::awaitable<std::optional<frame>> read_frame(boost::asio::ip::tcp::socket& socket,
                                                    uint32_t max_payload_bytes,
                                                    std::string& why);

// A connection's socket, and its frames written in the order given, one at
// a time, however many coroutines send. It owns the socket, so a write in
// progress keeps it alive after the connection is dropped. A failed write,
// or a peer that lets more than `max_queued_bytes` pile up unread, closes
// the socket, which ends its reader too.
class frame_writer : public std::enable_shared_from_this<frame_writer> {
public:
    frame_writer(boost::asio::ip::tcp::socket socket, size_t max_queued_bytes)
      : _socket(std::move(socket))
      , _max_queued_bytes(max_queued_bytes) {}

    boost::asio::ip::tcp::socket& socket() { return _socket; }
    void send(base::iobuf frame);

private:
    runtime::awaitable<void> drain(std::shared_ptr<frame_writer> self);

    boost::asio::ip::tcp::socket _socket;
    size_t _max_queued_bytes;
    size_t _queued_bytes{0};
    std::deque<base::iobuf> _queue;
    bool _writing{false};
};

} // namespace rpc
