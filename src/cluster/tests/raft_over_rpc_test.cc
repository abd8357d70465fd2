// Three Raft cores talking over the internal RPC on real sockets: each node
// has an rpc::server, a client per peer and a driver that ticks its core
// every 10 ms, keeps its log in memory and sends what the core produces as
// batches (raft::outbox, raft::wire). They elect a leader, commit, and
// elect another when the leader's node goes away.

#include "raft/consensus.h"
#include "raft/outbox.h"
#include "raft/wire.h"
#include "rpc/client.h"
#include "rpc/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include "runtime/tests/waits.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

using namespace std::chrono_literals;

namespace {

using runtime::testing::sleep_for;
using runtime::testing::wait_until;

constexpr uint16_t raft_method = 1;
constexpr raft::group_id group{0};

class node {
public:
    node(boost::asio::io_context& io, int id, raft::configuration config)
      : _io(io)
      , _id(id)
      , _server(io.get_executor(), {})
      , _box(raft::node_id(id)) {
        raft::durable_state state;
        state.config = std::move(config);
        raft::options o;
        o.seed = static_cast<uint64_t>(id) + 1;
        core = std::make_unique<raft::consensus>(raft::node_id(id), std::move(state), o);
        _server.register_method(
            raft_method, [this](base::iobuf in) -> runtime::awaitable<base::iobuf> {
                receive(in);
                co_return base::iobuf{};
            });
    }

    uint16_t listen() { return _server.listen("127.0.0.1", 0); }

    void connect(const std::vector<uint16_t>& ports) {
        for (size_t peer = 0; peer < ports.size(); ++peer) {
            _clients.push_back(peer == static_cast<size_t>(_id)
                                   ? nullptr
                                   : std::make_unique<rpc::client>(
                                       _io.get_executor(), "127.0.0.1", ports[peer]));
        }
    }

    runtime::awaitable<void> run() {
        while (_running) {
            core->tick();
            drain();
            co_await sleep_for(10ms);
        }
    }

    // The node goes away: its server closes and its core stops.
    runtime::awaitable<void> stop() {
        _running = false;
        for (auto& c : _clients) {
            if (c) {
                c->close();
            }
        }
        co_await _server.stop();
    }

    bool running() const { return _running; }
    const std::vector<raft::entry>& log() const { return _log; }

    std::unique_ptr<raft::consensus> core;

private:
    void receive(const base::iobuf& in) {
        auto b = raft::decode_batch(in);
        if (!_running || !b) {
            return;
        }
        for (auto& gm : b->messages) {
            core->receive(raft::envelope{b->from, b->to, std::move(gm.msg)});
        }
        drain();
    }

    // Carries out the core's effects: an in-memory disk, immediate reads,
    // and the messages sent as one batch per peer.
    void drain() {
        for (auto effects = core->take_effects(); !effects.empty();
             effects = core->take_effects()) {
            for (auto& e : effects) {
                if (auto* s = std::get_if<raft::send_message>(&e)) {
                    _box.post(group, std::move(s->out));
                } else if (auto* p = std::get_if<raft::persist>(&e)) {
                    if (p->truncate_from) {
                        _log.resize(static_cast<size_t>((*p->truncate_from)()));
                    }
                    for (auto& x : p->entries) {
                        _log.push_back(std::move(x));
                    }
                    core->persisted(p->id);
                } else if (auto* r = std::get_if<raft::read_entries>(&e)) {
                    std::vector<raft::entry> out;
                    for (auto i = r->from(); i <= r->to(); ++i) {
                        out.push_back(_log[static_cast<size_t>(i)].share());
                    }
                    core->read_done(r->token, r->from, std::move(out));
                }
            }
        }
        for (auto& b : _box.flush()) {
            auto* client = _clients[static_cast<size_t>(b.to())].get();
            boost::asio::co_spawn(
                _io,
                [client,
                 payload = raft::encode_batch(b)]() mutable -> runtime::awaitable<void> {
                    // A lost batch is the core's to retry, as a dropped packet.
                    auto r =
                        co_await client->call(raft_method, std::move(payload), 200ms);
                    (void)r;
                },
                boost::asio::detached);
        }
    }

    boost::asio::io_context& _io;
    int _id;
    rpc::server _server;
    std::vector<std::unique_ptr<rpc::client>> _clients;
    raft::outbox _box;
    std::vector<raft::entry> _log;
    bool _running{true};
};

std::optional<size_t> leader_of(const std::vector<std::unique_ptr<node>>& nodes) {
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i]->running() && nodes[i]->core->current_role() == raft::role::leader) {
            return i;
        }
    }
    return std::nullopt;
}

} // namespace

TEST(raft_over_rpc, three_nodes_elect_commit_and_fail_over_on_real_sockets) {
    boost::asio::io_context io;
    raft::configuration config{{raft::node_id(0), raft::node_id(1), raft::node_id(2)},
                               {}};
    std::vector<std::unique_ptr<node>> nodes;
    std::vector<uint16_t> ports;
    for (int i = 0; i < 3; ++i) {
        nodes.push_back(std::make_unique<node>(io, i, config));
        ports.push_back(nodes.back()->listen());
    }
    for (auto& n : nodes) {
        n->connect(ports);
        boost::asio::co_spawn(io, n->run(), boost::asio::detached);
    }
    bool finished = false;
    boost::asio::co_spawn(
        io,
        [&]() -> runtime::awaitable<void> {
            auto led =
                co_await wait_until([&] { return leader_of(nodes).has_value(); }, 5s);
            if (!led) {
                ADD_FAILURE() << "no leader within 5 s";
                co_return;
            }
            auto first = *leader_of(nodes);
            std::optional<raft::log_index> last;
            for (int i = 0; i < 100; ++i) {
                last = nodes[first]->core->propose(
                    base::iobuf::copy_of("record-" + std::to_string(i)));
            }
            EXPECT_TRUE(last.has_value());
            EXPECT_TRUE(co_await wait_until(
                [&] {
                    for (auto& n : nodes) {
                        if (n->core->commit_index() < *last) {
                            return false;
                        }
                    }
                    return true;
                },
                5s));
            for (auto& n : nodes) {
                EXPECT_EQ(n->log().size(), nodes[first]->log().size());
                EXPECT_TRUE(n->log() == nodes[first]->log());
            }
            // The leader's node goes away: the other two elect one of theirs
            // and keep committing.
            co_await nodes[first]->stop();
            auto moved = co_await wait_until(
                [&] {
                    auto l = leader_of(nodes);
                    return l.has_value() && *l != first;
                },
                5s);
            if (!moved) {
                ADD_FAILURE() << "no new leader within 5 s";
                co_return;
            }
            auto second = *leader_of(nodes);
            auto more = nodes[second]->core->propose(base::iobuf::copy_of("after"));
            if (!more) {
                ADD_FAILURE() << "the new leader took no proposal";
                co_return;
            }
            EXPECT_TRUE(co_await wait_until(
                [&] { return nodes[second]->core->commit_index() >= *more; }, 5s));
            EXPECT_GT(nodes[second]->core->term(), nodes[first]->core->term());
            for (auto& n : nodes) {
                if (n->running()) {
                    co_await n->stop();
                }
            }
            finished = true;
        },
        boost::asio::detached);
    io.run_for(30s);
    EXPECT_TRUE(finished);
}
