#include "storage/disk_log.h"
#include "storage/log_flusher.h"
#include "storage/sim_file_system.h"
#include "storage/tests/test_batches.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <filesystem>

namespace storage {
namespace {

using testing::make_batch;

// Many producers append and wait for durability at once, as acks=all
// requests do: every one is acknowledged only once covered by a completed
// fdatasync, and they share few of them.
runtime::awaitable<void> produce(log_flusher& flusher, disk_log& log, int& acked,
                                 std::vector<model::offset>& flushed_at_ack) {
    auto b = make_batch(2);
    auto r = co_await flusher.append(b, model::term_id(1));
    EXPECT_TRUE(r);
    auto f = co_await flusher.flush();
    EXPECT_TRUE(f);
    EXPECT_GT(log.offsets().flushed_offset, r->last_offset);
    flushed_at_ack.push_back(log.offsets().flushed_offset);
    ++acked;
}

void run_producers(file_system& fs, const std::string& dir, int producers,
                   uint64_t& flights, int& acked) {
    boost::asio::io_context io;
    log_config config;
    config.segment_bytes = 2048; // rolls on the way
    auto l = disk_log::open(fs, dir, config, system_clock_ms());
    ASSERT_TRUE(l);
    flush_worker worker;
    log_flusher flusher(**l, fs, worker, io.get_executor());
    std::vector<model::offset> flushed_at_ack;
    for (int i = 0; i < producers; ++i) {
        boost::asio::co_spawn(io, produce(flusher, **l, acked, flushed_at_ack),
                              boost::asio::detached);
    }
    io.run();
    flights = flusher.flights();
    EXPECT_EQ((*l)->offsets().flushed_offset, model::offset(2 * producers));
    io.restart();
    boost::asio::co_spawn(io, flusher.stop(), boost::asio::detached);
    io.run();
}

TEST(log_flusher, concurrent_flushes_share_fdatasyncs_and_ack_only_durable_batches) {
    sim_file_system fs;
    uint64_t flights = 0;
    int acked = 0;
    auto syncs_before = fs.datasync_count();
    run_producers(fs, "/p", 200, flights, acked);
    EXPECT_EQ(acked, 200);
    EXPECT_GE(flights, 1u);
    // Group commit: far fewer rounds than requests.
    EXPECT_LT(flights, 50u);
    EXPECT_LT(fs.datasync_count() - syncs_before, 100u);
    // What was acknowledged survives a power cut.
    fs.power_loss();
    auto l = disk_log::open(fs, "/p", log_config{}, system_clock_ms());
    ASSERT_TRUE(l);
    EXPECT_EQ((*l)->offsets().next_offset, model::offset(400));
}

TEST(log_flusher, works_on_the_real_disk) {
    char tmpl[] = "/tmp/atoll-flush-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    uint64_t flights = 0;
    int acked = 0;
    run_producers(posix_file_system(), std::string(tmpl) + "/p", 100, flights, acked);
    EXPECT_EQ(acked, 100);
    EXPECT_LT(flights, 100u);
    std::filesystem::remove_all(tmpl);
}

TEST(log_flusher, a_flush_with_nothing_appended_returns_at_once) {
    boost::asio::io_context io;
    sim_file_system fs;
    auto l = disk_log::open(fs, "/p", log_config{}, system_clock_ms());
    ASSERT_TRUE(l);
    flush_worker worker;
    log_flusher flusher(**l, fs, worker, io.get_executor());
    bool done = false;
    boost::asio::co_spawn(
        io,
        [&]() -> runtime::awaitable<void> {
            auto r = co_await flusher.flush();
            EXPECT_TRUE(r);
            done = true;
        },
        boost::asio::detached);
    io.run();
    EXPECT_TRUE(done);
    EXPECT_EQ(flusher.flights(), 0u);
}

} // namespace
} // namespace storage
