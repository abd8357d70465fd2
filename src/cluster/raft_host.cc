#include "cluster/raft_host.h"

#include "base/logger.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>

namespace cluster {
namespace {

base::logger log{"raft"};

} // namespace

raft_host::raft_host(boost::asio::any_io_executor shard, raft::node_id self,
                     std::chrono::milliseconds tick, peer_directory peers)
  : _shard(shard)
  , _tick(tick)
  , _outbox(self)
  , _transport(shard, std::move(peers))
  , _tick_timer(shard)
  , _ticking(shard) {
    _outbox.on_first_post([this] { schedule_round(); });
}

void raft_host::receive(raft::batch b) {
    for (auto& m : b.messages) {
        auto it = _groups.find(m.group());
        if (it != _groups.end()) {
            it->second->receive(raft::envelope{b.from, b.to, std::move(m.msg)});
        }
    }
    round();
}

void raft_host::round() {
    if (_state == nullptr) {
        return;
    }
    if (auto synced = _state->sync(); !synced) {
        // Nothing may leave before the votes it follows are durable.
        log.error("syncing Raft state: {}", synced.message());
        return;
    }
    for (const auto& b : _outbox.flush()) {
        _transport.send(b);
    }
}

void raft_host::schedule_round() {
    if (_round_scheduled || !_ticking.try_enter()) {
        return;
    }
    _round_scheduled = true;
    boost::asio::post(_shard, [this] {
        runtime::gate_holder hold(_ticking);
        _round_scheduled = false;
        if (!_stopping) {
            round();
        }
    });
}

void raft_host::start() {
    boost::asio::co_spawn(_shard, run_ticks(), boost::asio::detached);
}

runtime::awaitable<void> raft_host::run_ticks() {
    if (!_ticking.try_enter()) {
        co_return;
    }
    runtime::gate_holder hold(_ticking);
    while (!_stopping) {
        _tick_timer.expires_after(_tick);
        boost::system::error_code ec;
        co_await _tick_timer.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (_stopping) {
            break;
        }
        for (auto& [id, g] : _groups) {
            g->tick();
        }
        round();
    }
}

runtime::awaitable<void> raft_host::stop() {
    _stopping = true;
    _tick_timer.cancel();
    co_await _ticking.close();
    co_await _transport.stop();
    _groups.clear();
}

} // namespace cluster
