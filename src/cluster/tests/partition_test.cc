// A partition in Kafka offsets over a log that also holds Raft's own
// entries: a single-replica group (leading at once) on a simulated disk,
// restarted so that each term adds a leader's first entry to the log.

#include "cluster/partition.h"
#include "model/batch_walker.h"
#include "storage/sim_file_system.h"
#include "storage/tests/test_batches.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <exception>
#include <functional>

namespace cluster {
namespace {

struct replica {
    explicit replica(boost::asio::io_context& io, storage::sim_file_system& fs)
      : logs(io.get_executor(), fs, "/data", storage::system_clock_ms(),
             storage::housekeeping_options{})
      , box(model::node_id(0)) {
        auto opened = storage::kvstore::open(fs, "/kvstore", {});
        kv = std::move(opened).value();
        state = std::make_unique<raft_state_store>(*kv);
        auto* m = *logs.manage("t-0", storage::log_config{});
        raft_group::settings s{raft::group_id(1),
                               "t-0",
                               model::node_id(0),
                               raft::configuration{{model::node_id(0)}, {}},
                               {},
                               1 << 20};
        auto group = std::make_unique<raft_group>(s, *m, *state, box, io.get_executor());
        group->start();
        p = std::make_unique<partition>("t", 0, *m, std::move(group));
    }

    runtime::awaitable<void> stop() {
        co_await p->raft().stop();
        co_await logs.stop();
    }

    storage::log_manager logs;
    std::unique_ptr<storage::kvstore> kv;
    std::unique_ptr<raft_state_store> state;
    raft::outbox box;
    std::unique_ptr<partition> p;
};

void run(const std::function<runtime::awaitable<void>(boost::asio::io_context&)>& body) {
    boost::asio::io_context io;
    bool finished = false;
    boost::asio::co_spawn(
        io,
        [&]() -> runtime::awaitable<void> {
            co_await body(io);
            finished = true;
        },
        [](std::exception_ptr e) {
            if (e) {
                std::rethrow_exception(e);
            }
        });
    io.run();
    EXPECT_TRUE(finished);
}

// The base offsets of the batches a read gave.
std::vector<int64_t> bases(storage::read_result r) {
    std::vector<int64_t> out;
    model::batch_walker walker(std::move(r.data));
    for (auto b = walker.next(); b && *b; b = walker.next()) {
        out.push_back((*b)->base_offset()());
    }
    return out;
}

runtime::awaitable<int64_t> produce(partition& p, int i) {
    auto r = co_await p.replicate(storage::testing::make_batch(3, "b", 1000 * (i + 1)),
                                  replicate_ack::majority);
    EXPECT_TRUE(r.has_value());
    co_return r ? r->base_offset() : -1;
}

} // namespace

TEST(partition, kafka_offsets_skip_raft_entries_across_terms) {
    storage::sim_file_system fs;
    run([&](boost::asio::io_context& io) -> runtime::awaitable<void> {
        {
            replica r(io, fs);
            auto& p = *r.p;
            EXPECT_TRUE(p.raft().is_leader());
            // A new partition's high watermark, 0, is known at once.
            EXPECT_TRUE(p.high_watermark_known());
            EXPECT_EQ(co_await produce(p, 0), 0);
            EXPECT_EQ(co_await produce(p, 1), 3);
            EXPECT_EQ(co_await produce(p, 2), 6);
            // The log holds the leader's entry at raw offset 0 as well.
            EXPECT_EQ(p.log().offsets().next_offset, model::offset(10));
            EXPECT_EQ(p.high_watermark(), 9);
            EXPECT_EQ(p.log_end(), 9);
            EXPECT_EQ(p.log_start(), 0);
            co_await r.stop();
        }
        replica r(io, fs);
        auto& p = *r.p;
        // Term 2 starts with its own entry at raw 10: lag stays 0. A lone
        // leader's high watermark is its log end, known at once.
        EXPECT_EQ(p.raft().term(), model::term_id(2));
        EXPECT_TRUE(p.high_watermark_known());
        EXPECT_EQ(p.high_watermark(), 9);
        EXPECT_EQ(p.log().offsets().next_offset, model::offset(11));
        bool committed = false;
        for (int i = 0; i < 100 && !committed; ++i) {
            committed =
                p.high_watermark() == 9 && p.raft().high_watermark() == model::offset(11);
            if (!committed) {
                boost::asio::steady_timer t(io, std::chrono::milliseconds(5));
                co_await t.async_wait(boost::asio::use_awaitable);
            }
        }
        EXPECT_TRUE(committed);
        EXPECT_TRUE(p.high_watermark_known());
        EXPECT_EQ(co_await produce(p, 3), 9);
        EXPECT_EQ(p.to_raw(9), model::offset(11));
        EXPECT_EQ(p.high_watermark(), 12);
        auto all = p.read(0, 1 << 20, 11, true);
        EXPECT_TRUE(all.has_value());
        if (all) {
            EXPECT_EQ(all->first_offset, model::offset(0));
            EXPECT_EQ(all->last_offset, model::offset(11));
            EXPECT_EQ(bases(std::move(*all)), (std::vector<int64_t>{0, 3, 6, 9}));
        }
        // One byte at least one batch: past the leader's entry to the data.
        auto one = p.read(9, 1, 11, true);
        EXPECT_TRUE(one.has_value());
        if (one) {
            EXPECT_EQ(bases(std::move(*one)), (std::vector<int64_t>{9}));
        }
        // Timestamps and epochs answer in Kafka offsets too.
        auto t = p.timequery(4000);
        EXPECT_TRUE(t && *t);
        if (t && *t) {
            EXPECT_EQ((*t)->offset, model::offset(9));
        }
        // Term 1 is Kafka's leader epoch 0.
        auto end_of_first = p.end_offset_for(model::term_id(0));
        EXPECT_TRUE(end_of_first.has_value());
        if (end_of_first) {
            EXPECT_EQ(end_of_first->end, model::offset(9));
        }
        // DeleteRecords to Kafka offset 6 starts the raw log at 7.
        EXPECT_TRUE(p.prefix_truncate(6));
        EXPECT_EQ(p.log_start(), 6);
        EXPECT_EQ(p.log().offsets().log_start, model::offset(7));
        co_await r.stop();
    });
}

TEST(partition, a_log_from_before_raft_keeps_its_offsets) {
    storage::sim_file_system fs;
    run([&](boost::asio::io_context& io) -> runtime::awaitable<void> {
        {
            // As the single node wrote logs before Raft: epoch 0, no state.
            storage::log_manager logs(io.get_executor(), fs, "/data",
                                      storage::system_clock_ms(), {});
            auto* m = *logs.manage("t-0", storage::log_config{});
            for (int i = 0; i < 2; ++i) {
                auto b = storage::testing::make_batch(4);
                EXPECT_TRUE(co_await m->flusher->append(b, model::term_id(0)));
            }
            co_await logs.stop();
        }
        replica r(io, fs);
        auto& p = *r.p;
        // Its epoch-0 batches are term 1: this start's term is 2 (epoch 1).
        EXPECT_EQ(p.raft().term(), model::term_id(2));
        EXPECT_EQ(co_await produce(p, 0), 8);
        auto all = p.read(0, 1 << 20, 10, true);
        EXPECT_TRUE(all.has_value());
        if (all) {
            EXPECT_EQ(bases(std::move(*all)), (std::vector<int64_t>{0, 4, 8}));
        }
        EXPECT_EQ(p.high_watermark(), 11);
        co_await r.stop();
    });
}

} // namespace cluster
