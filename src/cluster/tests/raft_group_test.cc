// Raft groups over real partition logs (storage::disk_log on a simulated
// disk that can lose power), with terms and votes in a kvstore: three
// nodes in one io_context whose outboxes are delivered as wire bytes
// (raft::wire) by a network the test can cut.

#include "cluster/raft_entries.h"
#include "cluster/raft_group.h"
#include "model/batch_walker.h"
#include "raft/wire.h"
#include "storage/sim_file_system.h"
#include "storage/tests/test_batches.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/tests/waits.h"

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <set>

using namespace std::chrono_literals;

namespace cluster {
namespace {

using runtime::testing::sleep_for;
using runtime::testing::wait_until;

constexpr raft::group_id group{7};

// A stored batch as the test compares them across replicas.
struct stored {
    int64_t base;
    // Its Raft term: the batch's leader epoch plus one.
    int64_t term;
    raft::entry_type type;
    std::string bytes;
    bool operator==(const stored&) const = default;
};

struct node {
    explicit node(int id)
      : fs(static_cast<uint64_t>(id) + 1)
      , box(raft::node_id(id)) {}
    storage::sim_file_system fs;
    std::unique_ptr<storage::log_manager> logs;
    std::unique_ptr<storage::kvstore> kv;
    std::unique_ptr<raft_state_store> state;
    raft::outbox box;
    std::unique_ptr<raft_group> group;
    storage::log_manager::managed* log{nullptr};
};

class harness {
public:
    explicit harness(boost::asio::io_context& io, int n = 3)
      : _io(io) {
        raft::configuration config;
        for (int i = 0; i < n; ++i) {
            config.voters.emplace_back(i);
            nodes.push_back(std::make_unique<node>(i));
        }
        _config = config;
    }

    void start(int i) {
        auto& n = *nodes[i];
        n.logs = std::make_unique<storage::log_manager>(_io.get_executor(), n.fs, "/data",
                                                        storage::system_clock_ms(),
                                                        storage::housekeeping_options{});
        n.log = *n.logs->manage("topic-0", storage::log_config{});
        auto kv = storage::kvstore::open(n.fs, "/kvstore", {});
        n.kv = std::move(kv).value();
        n.state = std::make_unique<raft_state_store>(*n.kv);
        raft_group::settings s{group, "topic-0", raft::node_id(i), _config, {}, 1 << 20};
        s.options.seed = static_cast<uint64_t>(i) + 11;
        n.group =
            std::make_unique<raft_group>(s, *n.log, *n.state, n.box, _io.get_executor());
    }

    runtime::awaitable<void> stop(int i) {
        auto& n = *nodes[i];
        co_await n.group->stop();
        co_await n.logs->stop();
        n.group.reset();
        n.log = nullptr;
        n.logs.reset();
        n.state.reset();
        n.kv.reset();
        n.box.flush();
    }

    bool up(int i) const { return nodes[i]->group != nullptr; }

    // Ticks every node every 5 ms and sends what its round produced.
    runtime::awaitable<void> run() {
        while (_running) {
            for (size_t i = 0; i < nodes.size(); ++i) {
                if (up(static_cast<int>(i))) {
                    nodes[i]->group->tick();
                    send(static_cast<int>(i));
                }
            }
            co_await sleep_for(5ms);
        }
    }
    void finish() { _running = false; }

    // The term and vote durable first, then the batches, as wire bytes,
    // delivered later (no reentry) unless the network cuts them.
    void send(int i) {
        auto& n = *nodes[i];
        ASSERT_TRUE(n.state->sync());
        for (auto& b : n.box.flush()) {
            auto to = static_cast<int>(b.to());
            if (_isolated.contains(i) || _isolated.contains(to)) {
                continue;
            }
            boost::asio::post(_io, [this, to, bytes = raft::encode_batch(b)] {
                if (!up(to)) {
                    return;
                }
                auto decoded = raft::decode_batch(bytes);
                ASSERT_TRUE(decoded.has_value());
                for (auto& m : decoded->messages) {
                    nodes[to]->group->receive(
                        raft::envelope{decoded->from, decoded->to, std::move(m.msg)});
                }
                send(to);
            });
        }
    }

    void isolate(int i) { _isolated.insert(i); }
    void heal() { _isolated.clear(); }

    std::optional<int> leader(std::optional<int> other_than = {}) const {
        for (size_t i = 0; i < nodes.size(); ++i) {
            auto id = static_cast<int>(i);
            if (up(id) && nodes[i]->group->is_leader() && !_isolated.contains(id)
                && id != other_than) {
                return id;
            }
        }
        return std::nullopt;
    }

    // Every batch of node i's log, in order.
    std::vector<stored> contents(int i) const {
        std::vector<stored> out;
        auto& disk = *nodes[i]->log->log;
        auto read = disk.read(model::offset(0), size_t{64} << 20);
        if (!read || read->batch_count == 0) {
            return out;
        }
        model::batch_walker walker(std::move(read->data));
        for (auto b = walker.next(); b && *b; b = walker.next()) {
            out.push_back({(*b)->base_offset()(), term_of_epoch((*b)->leader_epoch())(),
                           entry_of(**b).type, (*b)->data().to_string()});
        }
        return out;
    }

    std::vector<std::unique_ptr<node>> nodes;

private:
    boost::asio::io_context& _io;
    raft::configuration _config;
    std::set<int> _isolated;
    bool _running{true};
};

// Runs a test body next to the harness's ticks, to its end.
void run(const std::function<runtime::awaitable<void>(harness&)>& body) {
    boost::asio::io_context io;
    harness h(io);
    for (int i = 0; i < 3; ++i) {
        h.start(i);
    }
    bool finished = false;
    boost::asio::co_spawn(io, h.run(), boost::asio::detached);
    boost::asio::co_spawn(
        io,
        [&]() -> runtime::awaitable<void> {
            co_await body(h);
            for (int i = 0; i < 3; ++i) {
                if (h.up(i)) {
                    co_await h.stop(i);
                }
            }
            h.finish();
            finished = true;
        },
        [](std::exception_ptr e) {
            if (e) {
                std::rethrow_exception(e);
            }
        });
    io.run_for(60s);
    EXPECT_TRUE(finished);
}

runtime::awaitable<std::optional<int>> elected(harness& h,
                                               std::optional<int> other_than = {}) {
    co_await wait_until([&] { return h.leader(other_than).has_value(); });
    co_return h.leader(other_than);
}

model::record_batch batch_numbered(int i) {
    return storage::testing::make_batch(3, "r" + std::to_string(i));
}

} // namespace

TEST(raft_group, replicas_store_the_same_batches_and_raft_entries_as_control_batches) {
    run([](harness& h) -> runtime::awaitable<void> {
        auto l = co_await elected(h);
        if (!l) {
            ADD_FAILURE() << "no leader";
            co_return;
        }
        int64_t expected_base = -1;
        for (int i = 0; i < 20; ++i) {
            auto r = co_await h.nodes[*l]->group->replicate(batch_numbered(i),
                                                            replicate_ack::majority);
            if (!r) {
                ADD_FAILURE() << "replicate " << i << ": " << r.message();
                co_return;
            }
            EXPECT_EQ(r->last_offset() - r->base_offset(), 2);
            EXPECT_FALSE(r->duplicate);
            if (expected_base >= 0) {
                EXPECT_EQ(r->base_offset(), expected_base);
            }
            expected_base = r->last_offset() + 1;
            // Committed: a majority has it on disk, the leader's watermark past it.
            EXPECT_GT(h.nodes[*l]->group->high_watermark(), r->last_offset);
        }
        EXPECT_TRUE(co_await wait_until([&] {
            for (auto& n : h.nodes) {
                if (n->group->high_watermark() != model::offset(expected_base)) {
                    return false;
                }
            }
            return true;
        }));
        auto leader_log = h.contents(*l);
        if (leader_log.size() != 21u) {
            ADD_FAILURE() << leader_log.size() << " batches in the leader's log, not 21";
            co_return;
        }
        // The leader's first entry, then the data, all in its term.
        EXPECT_EQ(leader_log[0].type, raft::entry_type::leader_start);
        EXPECT_EQ(leader_log[0].base, 0);
        for (size_t i = 1; i < leader_log.size(); ++i) {
            EXPECT_EQ(leader_log[i].type, raft::entry_type::data);
            EXPECT_EQ(leader_log[i].term, h.nodes[*l]->group->term()());
        }
        for (int i = 0; i < 3; ++i) {
            EXPECT_EQ(h.contents(i), leader_log) << "node " << i;
            // Kafka offsets skip the leader's entry: 20 batches of 3 records.
            const auto& t = h.nodes[i]->group->translator();
            EXPECT_EQ(t.to_kafka(h.nodes[i]->group->high_watermark()), 60);
            EXPECT_EQ(t.to_raw(0), raft::log_index(1));
        }
    });
}

TEST(raft_group, a_restarted_follower_keeps_its_term_and_log_and_catches_up) {
    run([](harness& h) -> runtime::awaitable<void> {
        auto l = co_await elected(h);
        if (!l) {
            ADD_FAILURE() << "no leader";
            co_return;
        }
        for (int i = 0; i < 5; ++i) {
            EXPECT_TRUE(co_await h.nodes[*l]->group->replicate(batch_numbered(i),
                                                               replicate_ack::majority));
        }
        auto f = (*l + 1) % 3;
        EXPECT_TRUE(co_await wait_until(
            [&] { return h.contents(f).size() == h.contents(*l).size(); }));
        auto term = h.nodes[f]->group->term();
        co_await h.stop(f);
        for (int i = 5; i < 10; ++i) {
            EXPECT_TRUE(co_await h.nodes[*l]->group->replicate(batch_numbered(i),
                                                               replicate_ack::majority));
        }
        h.start(f);
        // Term and log as they were, from the kvstore and the log's epochs.
        EXPECT_EQ(h.nodes[f]->group->term(), term);
        EXPECT_EQ(h.nodes[f]->group->core().last_index(), raft::log_index(15));
        EXPECT_EQ(h.nodes[f]->group->core().log().term_at(raft::log_index(15)), term);
        // Raft's own entries known again without reading the log.
        EXPECT_EQ(h.nodes[f]->group->translator().gaps_before(raft::log_index(16)), 1);
        EXPECT_TRUE(co_await wait_until([&] { return h.contents(f) == h.contents(*l); }));
        EXPECT_EQ(h.contents(f).size(), 11u);
    });
}

TEST(raft_group, a_deposed_leaders_uncommitted_batches_give_way_to_the_new_leaders) {
    run([](harness& h) -> runtime::awaitable<void> {
        auto old = co_await elected(h);
        if (!old) {
            ADD_FAILURE() << "no leader";
            co_return;
        }
        EXPECT_TRUE(co_await h.nodes[*old]->group->replicate(batch_numbered(0),
                                                             replicate_ack::majority));
        h.isolate(*old);
        // Appended on the cut-off leader only: acks=1 answers, acks=all
        // cannot, and fails once it is deposed.
        for (int i = 1; i < 4; ++i) {
            EXPECT_TRUE(co_await h.nodes[*old]->group->replicate(batch_numbered(i),
                                                                 replicate_ack::leader));
        }
        std::optional<base::result<storage::append_result, replicate_errc>> stuck;
        boost::asio::co_spawn(
            co_await boost::asio::this_coro::executor,
            [&]() -> runtime::awaitable<void> {
                stuck = co_await h.nodes[*old]->group->replicate(batch_numbered(99),
                                                                 replicate_ack::majority);
            },
            boost::asio::detached);
        auto fresh = co_await elected(h, *old);
        if (!fresh) {
            ADD_FAILURE() << "no new leader";
            co_return;
        }
        for (int i = 4; i < 6; ++i) {
            EXPECT_TRUE(co_await h.nodes[*fresh]->group->replicate(
                batch_numbered(i), replicate_ack::majority));
        }
        h.heal();
        EXPECT_TRUE(
            co_await wait_until([&] { return h.contents(*old) == h.contents(*fresh); }));
        EXPECT_TRUE(co_await wait_until([&] { return stuck.has_value(); }));
        if (!stuck || stuck->has_value()) {
            ADD_FAILURE() << "the deposed leader's acks=all write did not fail";
            co_return;
        }
        EXPECT_EQ(stuck->code(), replicate_errc::not_leader);
        // Batch 0 and the new leader's two stayed; the deposed leader's did not.
        int data = 0;
        int own = 0;
        for (const auto& b : h.contents(*old)) {
            data += b.type == raft::entry_type::data ? 1 : 0;
            own += b.type == raft::entry_type::data ? 0 : 1;
        }
        EXPECT_EQ(data, 3);
        // Two leaders' first entries, known to the deposed leader's translator.
        EXPECT_EQ(own, 2);
        auto end = raft::log_index(h.nodes[*old]->group->core().last_index()() + 1);
        EXPECT_EQ(h.nodes[*old]->group->translator().gaps_before(end), 2);
        // And so does its saved list after a restart.
        co_await h.stop(*old);
        h.nodes[*old]->fs.power_loss();
        h.start(*old);
        EXPECT_EQ(h.nodes[*old]->group->translator().gaps_before(end), 2);
        EXPECT_EQ(h.nodes[*old]->group->own().size(), 2u);
    });
}

TEST(raft_group, a_follower_cut_off_leaves_the_in_sync_replicas) {
    run([](harness& h) -> runtime::awaitable<void> {
        auto l = co_await elected(h);
        if (!l) {
            ADD_FAILURE() << "no leader";
            co_return;
        }
        auto& g = *h.nodes[*l]->group;
        EXPECT_TRUE(co_await g.replicate(batch_numbered(0), replicate_ack::majority));
        EXPECT_TRUE(co_await wait_until([&] { return g.in_sync_replicas() == 3; }));
        auto f = (*l + 1) % 3;
        h.isolate(f);
        // Silent past an election timeout (10 ticks of 5 ms): out of sync.
        EXPECT_TRUE(co_await wait_until([&] { return g.in_sync_replicas() == 2; }));
        EXPECT_TRUE(co_await g.replicate(batch_numbered(1), replicate_ack::majority));
        EXPECT_EQ(g.in_sync_replicas(), 2u);
        EXPECT_EQ(h.nodes[f]->group->in_sync_replicas(), 0u);
        h.heal();
        EXPECT_TRUE(co_await wait_until([&] { return g.in_sync_replicas() == 3; }));
    });
}

TEST(raft_group, a_producers_retry_gets_the_original_offsets_and_a_gap_is_refused) {
    run([](harness& h) -> runtime::awaitable<void> {
        auto l = co_await elected(h);
        if (!l) {
            ADD_FAILURE() << "no leader";
            co_return;
        }
        auto idempotent = [](int32_t sequence) {
            model::record_batch_builder b;
            b.set_producer(42, 0, sequence);
            model::record_data r;
            r.timestamp = 1000;
            b.add_record(r);
            b.add_record(r);
            return b.build();
        };
        auto& g = *h.nodes[*l]->group;
        auto first = co_await g.replicate(idempotent(0), replicate_ack::majority);
        auto retry = co_await g.replicate(idempotent(0), replicate_ack::majority);
        auto gap = co_await g.replicate(idempotent(5), replicate_ack::majority);
        if (!first || !retry || gap) {
            ADD_FAILURE() << "first " << first.has_value() << " retry "
                          << retry.has_value() << " gap " << gap.has_value();
            co_return;
        }
        EXPECT_TRUE(retry->duplicate);
        EXPECT_EQ(retry->base_offset, first->base_offset);
        EXPECT_EQ(retry->last_offset, first->last_offset);
        EXPECT_EQ(gap.code(), replicate_errc::out_of_order_sequence);
        // A follower is refused too: only the leader takes batches.
        auto f = (*l + 1) % 3;
        auto refused =
            co_await h.nodes[f]->group->replicate(idempotent(1), replicate_ack::leader);
        EXPECT_FALSE(refused.has_value());
        if (!refused) {
            EXPECT_EQ(refused.code(), replicate_errc::not_leader);
        }
        // The followers' producer state came with the batches.
        EXPECT_TRUE(co_await wait_until(
            [&] { return h.nodes[f]->log->log->producers().find(42) != nullptr; }));
    });
}

TEST(raft_group, a_peers_malformed_entries_are_dropped_not_stored) {
    run([](harness& h) -> runtime::awaitable<void> {
        auto l = co_await elected(h);
        if (!l) {
            ADD_FAILURE() << "no leader";
            co_return;
        }
        EXPECT_TRUE(co_await h.nodes[*l]->group->replicate(batch_numbered(0),
                                                           replicate_ack::majority));
        auto f = (*l + 1) % 3;
        EXPECT_TRUE(co_await wait_until(
            [&] { return h.contents(f).size() == h.contents(*l).size(); }));
        auto before = h.contents(f);
        auto& g = *h.nodes[f]->group;
        auto last = g.core().last_index();
        raft::append_request garbage{
            g.term(), last, *g.core().log().term_at(last), {}, last};
        garbage.entries.push_back(raft::entry{g.term(), raft::entry_type::data,
                                              base::iobuf::copy_of("not a batch"), 1});
        g.receive(
            raft::envelope{raft::node_id(*l), raft::node_id(f), std::move(garbage)});
        EXPECT_FALSE(g.failed());
        EXPECT_EQ(g.core().last_index(), last);
        EXPECT_EQ(h.contents(f), before);
        // And the group goes on.
        EXPECT_TRUE(co_await h.nodes[*l]->group->replicate(batch_numbered(1),
                                                           replicate_ack::majority));
    });
}

TEST(raft_group, committed_batches_survive_every_node_losing_power) {
    run([](harness& h) -> runtime::awaitable<void> {
        auto l = co_await elected(h);
        if (!l) {
            ADD_FAILURE() << "no leader";
            co_return;
        }
        std::vector<storage::append_result> acked;
        for (int i = 0; i < 10; ++i) {
            auto r = co_await h.nodes[*l]->group->replicate(batch_numbered(i),
                                                            replicate_ack::majority);
            if (r) {
                acked.push_back(*r);
            }
        }
        EXPECT_EQ(acked.size(), 10u);
        auto committed = h.contents(*l);
        for (int i = 0; i < 3; ++i) {
            co_await h.stop(i);
            h.nodes[i]->fs.power_loss();
        }
        for (int i = 0; i < 3; ++i) {
            h.start(i);
        }
        auto again = co_await elected(h);
        if (!again) {
            ADD_FAILURE() << "no leader after the restart";
            co_return;
        }
        // Every acknowledged batch, byte for byte, at its offset.
        EXPECT_TRUE(co_await wait_until([&] {
            for (int i = 0; i < 3; ++i) {
                auto now = h.contents(i);
                if (now.size() < committed.size()
                    || !std::equal(committed.begin(), committed.end(), now.begin())) {
                    return false;
                }
            }
            return true;
        }));
    });
}

} // namespace cluster
