#include "model/batch_walker.h"
#include "storage/log_manager.h"
#include "storage/sim_file_system.h"
#include "storage/tests/test_batches.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>

namespace storage {
namespace {

using testing::make_batch;
using namespace std::chrono_literals;

// Runs a test body (a coroutine) on a fresh io_context until it is done;
// an exception it throws fails the test.
void run(boost::asio::io_context& io, runtime::awaitable<void> body) {
    bool done = false;
    boost::asio::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
        if (e) {
            std::rethrow_exception(e);
        }
        done = true;
    });
    io.run();
    ASSERT_TRUE(done);
}

runtime::awaitable<void> sleep_for(boost::asio::io_context& io,
                                   std::chrono::milliseconds d) {
    boost::asio::steady_timer t(io, d);
    co_await t.async_wait(boost::asio::use_awaitable);
}

log_config keyed_config() {
    log_config c;
    c.segment_bytes = 1024;
    c.cleanup_compact = true;
    c.cleanup_delete = false;
    c.min_cleanable_dirty_ratio = 0.1;
    return c;
}

runtime::awaitable<void> retention_body(boost::asio::io_context& io,
                                        sim_file_system& fs) {
    {
        housekeeping_options opts;
        opts.interval = 5ms;
        opts.retention_segments_per_round = 2;
        log_manager manager(io.get_executor(), fs, "/data", system_clock_ms(), opts);
        log_config c;
        c.segment_bytes = 1024;
        c.retention_bytes = 2048;
        auto m = manager.manage("topic-0", c);
        EXPECT_TRUE(m);
        for (int i = 0; i < 100; ++i) {
            auto b = make_batch(2);
            EXPECT_TRUE(co_await (*m)->flusher->append(b, model::term_id(1)));
        }
        auto before = (*m)->log->offsets().segment_count;
        manager.start();
        // Two segments a round at most: it takes several rounds.
        for (int i = 0; i < 400 && (*m)->log->offsets().size_bytes > 2048 + 1024; ++i) {
            co_await sleep_for(io, 5ms);
        }
        co_await manager.stop();
        auto after = (*m)->log->offsets();
        EXPECT_GT(after.log_start, model::offset(0));
        EXPECT_LT(after.segment_count, before);
        EXPECT_LE(after.size_bytes, 2048u + 1024u);
    }
}

TEST(log_manager, retention_runs_in_the_background_rounds) {
    sim_file_system fs;
    boost::asio::io_context io;
    run(io, retention_body(io, fs));
}

runtime::awaitable<void> compaction_body(boost::asio::io_context& io,
                                         sim_file_system& fs) {
    {
        log_manager manager(io.get_executor(), fs, "/data", system_clock_ms(), {});
        auto m = manager.manage("compacted-0", keyed_config());
        EXPECT_TRUE(m);
        // 60 batches over 3 keys: k-0..k-2 written again and again.
        for (int i = 0; i < 60; ++i) {
            auto b = make_batch(3, "k", 1000 + i);
            EXPECT_TRUE(co_await (*m)->flusher->append(b, model::term_id(1)));
        }
        EXPECT_TRUE(co_await (*m)->flusher->flush());
        auto size_before = (*m)->log->offsets().size_bytes;
        co_await manager.housekeep();
        auto after = (*m)->log->offsets();
        EXPECT_LT(after.size_bytes, size_before / 2);
        EXPECT_EQ(after.next_offset, model::offset(180));
        EXPECT_EQ((*m)->log->dirty_ratio(model::offset(after.flushed_offset() - 1)), 0.0);
        co_await manager.stop();
    }
}

runtime::awaitable<void> reopen_body(boost::asio::io_context& io, sim_file_system& fs) {
    // A new manager over the same disk finds the compacted log.
    {
        log_manager manager(io.get_executor(), fs, "/data", system_clock_ms(), {});
        auto m = manager.manage("compacted-0", keyed_config());
        EXPECT_TRUE(m);
        auto r = (*m)->log->read(model::offset(0), 1 << 20);
        EXPECT_TRUE(r);
        EXPECT_EQ((*m)->log->offsets().next_offset, model::offset(180));
        co_await manager.stop();
    }
}

TEST(log_manager, compaction_keeps_the_latest_value_per_key_and_survives_restart) {
    sim_file_system fs;
    boost::asio::io_context io;
    run(io, compaction_body(io, fs));
    boost::asio::io_context io2;
    run(io2, reopen_body(io2, fs));
}

runtime::awaitable<void> throttle_body(boost::asio::io_context& io, sim_file_system& fs) {
    {
        housekeeping_options opts;
        opts.compaction_bytes_per_second = 200 * 1024;
        log_manager manager(io.get_executor(), fs, "/data", system_clock_ms(), opts);
        auto m = manager.manage("compacted-0", keyed_config());
        for (int i = 0; i < 100; ++i) {
            auto b = make_batch(3, "k", 1000 + i, 200);
            EXPECT_TRUE(co_await (*m)->flusher->append(b, model::term_id(1)));
        }
        EXPECT_TRUE(co_await (*m)->flusher->flush());
        // The pass reads the dirty segments twice (map, then clean): at
        // 200 KiB/s that cannot take less than bytes / rate.
        auto bytes = (*m)->log->offsets().size_bytes;
        auto start = std::chrono::steady_clock::now();
        co_await manager.housekeep();
        auto elapsed = std::chrono::steady_clock::now() - start;
        EXPECT_GE(elapsed, std::chrono::microseconds(bytes * 1'000'000 / (200 * 1024)));
        EXPECT_LT((*m)->log->offsets().size_bytes, bytes);
        co_await manager.stop();
    }
}

runtime::awaitable<void> bound_body(boost::asio::io_context& io, sim_file_system& fs) {
    {
        log_manager manager(io.get_executor(), fs, "/data", system_clock_ms(), {});
        auto c = keyed_config();
        c.cleanup_delete = true;
        c.retention_bytes = 1; // everything closed would go
        auto m = manager.manage("bounded-0", c);
        for (int i = 0; i < 60; ++i) {
            auto b = make_batch(3, "k", 1000 + i);
            EXPECT_TRUE(co_await (*m)->flusher->append(b, model::term_id(1)));
        }
        EXPECT_TRUE(co_await (*m)->flusher->flush());
        // The layer above has committed only up to offset 20.
        (*m)->cleanable_up_to = model::offset(20);
        co_await manager.housekeep();
        auto r = (*m)->log->read(model::offset(21), size_t{1} << 20);
        EXPECT_TRUE(r);
        // Nothing past 20 was deleted or compacted: 21..179 all there.
        EXPECT_LE((*m)->log->offsets().log_start, model::offset(21));
        model::batch_walker walker(r->data.share());
        int records = 0;
        while (true) {
            auto b = walker.next();
            if (!b || !b->has_value()) {
                break;
            }
            if ((*b)->last_offset() > model::offset(20)) {
                records += (*b)->record_count();
            }
        }
        EXPECT_GE(records, 180 - 21);
        co_await manager.stop();
    }
}

TEST(log_manager, housekeeping_stays_within_what_the_layer_above_has_committed) {
    sim_file_system fs;
    boost::asio::io_context io;
    run(io, bound_body(io, fs));
}

TEST(log_manager, compaction_io_is_throttled) {
    sim_file_system fs;
    boost::asio::io_context io;
    run(io, throttle_body(io, fs));
}

runtime::awaitable<void> remove_body(boost::asio::io_context& io, sim_file_system& fs) {
    {
        log_manager manager(io.get_executor(), fs, "/data", system_clock_ms(), {});
        auto a = manager.manage("a-0", log_config{});
        auto b = manager.manage("b-0", log_config{});
        EXPECT_TRUE(a && b);
        auto again = manager.manage("a-0", log_config{});
        EXPECT_EQ(*again, *a);
        auto batch = make_batch(1);
        EXPECT_TRUE(co_await (*a)->flusher->append(batch, model::term_id(1)));
        EXPECT_TRUE(co_await (*a)->flusher->flush());
        EXPECT_TRUE(co_await manager.remove("a-0"));
        EXPECT_EQ(manager.get("a-0"), nullptr);
        EXPECT_EQ(manager.size(), 1u);
        auto names = fs.list("/data/a-0");
        EXPECT_TRUE(names && names->empty());
        EXPECT_EQ((co_await manager.remove("a-0")).code(), errc::not_found);
        co_await manager.stop();
    }
}

TEST(log_manager, a_removed_log_loses_its_directory_and_a_managed_one_is_found_again) {
    sim_file_system fs;
    boost::asio::io_context io;
    run(io, remove_body(io, fs));
}

} // namespace
} // namespace storage
