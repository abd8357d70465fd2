#pragma once

#include "base/iobuf.h"
#include "base/result.h"
#include "rpc/frame.h"
#include "runtime/smp.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace rpc {

struct client_config {
    uint32_t max_payload_bytes{64U << 20U};
    // Calls waiting for an answer at once; more are refused (overloaded).
    size_t max_outstanding{1024};
    // Requests waiting to be written (those of calls that timed out too); a
    // peer that does not read them is disconnected.
    size_t max_queued_bytes{128U << 20U};
};

using call_result = base::result<base::iobuf, errc>;

// Calls a peer's RPC server over one connection, made when first needed and
// made again after it fails. Calls are pipelined (each frame carries its
// correlation id); each waits no longer than its timeout. Single-shard; to
// be destroyed with no call in flight.
class client {
public:
    client(boost::asio::any_io_executor ex, std::string host, uint16_t port,
           client_config config = {});
    ~client();

    runtime::awaitable<call_result> call(uint16_t method, base::iobuf payload,
                                         std::chrono::milliseconds timeout);
    // Fails every call in flight (disconnected) and drops the connection.
    void close();

    size_t outstanding() const { return _pending.size(); }

private:
    struct link;
    struct pending;
    runtime::awaitable<std::shared_ptr<link>> connected(
        std::chrono::steady_clock::time_point deadline);
    runtime::awaitable<void> read_answers(std::shared_ptr<link> l,
                                          std::shared_ptr<bool> alive);
    void drop(const std::shared_ptr<link>& l);

    boost::asio::any_io_executor _ex;
    std::string _host;
    uint16_t _port;
    client_config _config;
    std::shared_ptr<link> _link;
    // Set while a connection is being made: other calls wait for it.
    std::shared_ptr<boost::asio::steady_timer> _connecting;
    std::map<uint64_t, std::shared_ptr<pending>> _pending;
    uint64_t _next_correlation{1};
    // False once destroyed: the reader of the last connection may wake after.
    std::shared_ptr<bool> _alive{std::make_shared<bool>(true)};
};

} // namespace rpc
