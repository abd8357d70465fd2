#include "cluster/leader_broadcast.h"

#include "model/big_endian.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>

namespace cluster {
namespace {

template<typename T>
void put(std::vector<uint8_t>& out, T v) {
    uint8_t b[sizeof(T)];
    model::big_endian::write(b, v);
    out.insert(out.end(), b, b + sizeof(T));
}

} // namespace

// count u32, then per entry: topic (u16 length, bytes), partition i32,
// leader i32, term i64.
base::iobuf encode_leaderships(const std::vector<leadership>& all) {
    std::vector<uint8_t> out;
    put(out, static_cast<uint32_t>(all.size()));
    for (const auto& l : all) {
        put(out, static_cast<uint16_t>(l.topic.size()));
        out.insert(out.end(), l.topic.begin(), l.topic.end());
        put(out, l.partition);
        put(out, l.leader.node());
        put(out, l.leader.term());
    }
    return base::iobuf::copy_of(out);
}

std::optional<std::vector<leadership>> decode_leaderships(const base::iobuf& bytes) {
    auto in = bytes.to_vector();
    size_t at = 0;
    auto take = [&](size_t n) -> const uint8_t* {
        if (n > in.size() - at) {
            return nullptr;
        }
        at += n;
        return in.data() + at - n;
    };
    const auto* count = take(4);
    if (count == nullptr) {
        return std::nullopt;
    }
    std::vector<leadership> out;
    for (auto n = model::big_endian::read<uint32_t>(count); n > 0; --n) {
        const auto* len = take(2);
        const auto* name = len ? take(model::big_endian::read<uint16_t>(len)) : nullptr;
        const auto* rest = name ? take(16) : nullptr;
        if (rest == nullptr) {
            return std::nullopt;
        }
        leadership l;
        l.topic.assign(reinterpret_cast<const char*>(name),
                       model::big_endian::read<uint16_t>(len));
        l.partition = model::big_endian::read<int32_t>(rest);
        l.leader.node = model::node_id(model::big_endian::read<int32_t>(rest + 4));
        l.leader.term = model::term_id(model::big_endian::read<int64_t>(rest + 8));
        out.push_back(std::move(l));
    }
    if (at != in.size()) {
        return std::nullopt;
    }
    return out;
}

leader_broadcast::leader_broadcast(boost::asio::any_io_executor shard, raft::node_id self,
                                   peer_list peers, peer_directory addresses, options o)
  : _self(self)
  , _peers(std::move(peers))
  , _transport(shard, std::move(addresses))
  , _options(o)
  , _timer(shard)
  , _running(shard) {}

void leader_broadcast::local_change(const std::string& topic, int32_t partition,
                                    leaders_table::leader l) {
    auto key = std::make_pair(topic, partition);
    if (l.node != _self) {
        _mine.erase(key);
        return;
    }
    _mine[key] = l;
    _pending.push_back({topic, partition, l});
}

void leader_broadcast::forget_topic(const std::string& topic) {
    std::erase_if(_mine, [&](const auto& e) { return e.first.first == topic; });
    std::erase_if(_pending, [&](const leadership& l) { return l.topic == topic; });
}

void leader_broadcast::start() {
    if (_running.try_enter()) {
        boost::asio::co_spawn(_timer.get_executor(), run(), boost::asio::detached);
    }
}

runtime::awaitable<void> leader_broadcast::run() {
    runtime::gate_holder hold(_running);
    auto next_full = std::chrono::steady_clock::now();
    while (!_running.closing()) {
        if (std::chrono::steady_clock::now() >= next_full) {
            std::vector<leadership> all;
            for (const auto& [key, l] : _mine) {
                all.push_back({key.first, key.second, l});
            }
            send(all);
            _pending.clear();
            next_full = std::chrono::steady_clock::now() + _options.resend;
        } else if (!_pending.empty()) {
            send(_pending);
            _pending.clear();
        }
        _timer.expires_after(_options.tick);
        boost::system::error_code ec;
        co_await _timer.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
}

void leader_broadcast::send(const std::vector<leadership>& what) {
    if (what.empty()) {
        return;
    }
    auto payload = encode_leaderships(what);
    for (auto peer : _peers()) {
        if (peer != _self) {
            _transport.send(peer, leaders_method, payload.share());
        }
    }
}

runtime::awaitable<void> leader_broadcast::stop() {
    _running.begin_close();
    _timer.cancel();
    co_await _running.close();
    co_await _transport.stop();
}

} // namespace cluster
