#include "cluster/raft_transport.h"

#include "base/logger.h"
#include "raft/wire.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>

namespace cluster {
namespace {

base::logger log{"raft"};

} // namespace

raft_transport::raft_transport(boost::asio::any_io_executor shard, peer_directory peers,
                               options o)
  : _shard(shard)
  , _peers(std::move(peers))
  , _options(o)
  , _calls(shard) {}

raft_transport::~raft_transport() = default;

raft_transport::peer* raft_transport::peer_for(raft::node_id id) {
    auto address = _peers ? _peers(id) : std::nullopt;
    if (!address) {
        return nullptr;
    }
    auto& p = _links[id];
    if (!p) {
        p = std::make_unique<peer>();
    }
    if (!p->client || p->address != *address) {
        if (p->client) {
            p->client->close();
            _retired.push_back(std::move(p->client));
        }
        p->address = *address;
        p->client = std::make_unique<rpc::client>(_shard, address->host, address->port);
        p->backoff = std::chrono::milliseconds(0);
        p->quiet_until = {};
    }
    return p.get();
}

raft_transport::peer* raft_transport::ready(raft::node_id to) {
    auto* p = peer_for(to);
    if (p == nullptr || clock::now() < p->quiet_until || !_calls.try_enter()) {
        return nullptr;
    }
    return p;
}

void raft_transport::send(const raft::batch& b) {
    // Checked first: a batch for a peer left alone is not even encoded.
    if (auto* p = ready(b.to)) {
        boost::asio::co_spawn(_shard,
                              deliver(b.to, p, raft_batch_method, raft::encode_batch(b)),
                              boost::asio::detached);
    }
}

void raft_transport::send(raft::node_id to, uint16_t method, base::iobuf payload) {
    if (auto* p = ready(to)) {
        boost::asio::co_spawn(_shard, deliver(to, p, method, std::move(payload)),
                              boost::asio::detached);
    }
}

runtime::awaitable<void> raft_transport::deliver(raft::node_id to, peer* p,
                                                 uint16_t method, base::iobuf payload) {
    // Entered by ready().
    runtime::gate_holder hold(_calls);
    auto* client = p->client.get();
    auto answered =
        co_await client->call(method, std::move(payload), _options.call_timeout);
    if (_calls.closing() || client != p->client.get()) {
        co_return;
    }
    if (answered) {
        p->backoff = std::chrono::milliseconds(0);
        co_return;
    }
    if (answered.code() == rpc::errc::overloaded) {
        co_return;
    }
    bool first = p->backoff.count() == 0;
    p->backoff =
        first ? _options.first_backoff : std::min(p->backoff * 2, _options.max_backoff);
    p->quiet_until = clock::now() + p->backoff;
    if (first) {
        log.info("node {} ({}:{}) unreachable: {}", to(), p->address.host,
                 p->address.port, rpc::to_string(answered.code()));
    }
}

runtime::awaitable<void> raft_transport::stop() {
    _calls.begin_close();
    for (auto& [id, p] : _links) {
        if (p->client) {
            p->client->close();
        }
    }
    co_await _calls.close();
    _links.clear();
    _retired.clear();
}

} // namespace cluster
