#include "runtime/gate.h"
#include "runtime/smp.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>

namespace {

using runtime::awaitable;
using runtime::shard_id;
using runtime::smp;

// Runs a coroutine on shard 0 of a fresh smp and returns its result to the
// test's thread.
template<typename T, typename F>
T run_on_shard0(unsigned shards, F body) {
    smp s({.count = shards, .pin = false});
    s.start();
    std::promise<T> done;
    boost::asio::co_spawn(
        s.context(shard_id(0)),
        [&]() -> awaitable<void> {
            try {
                done.set_value(co_await body());
            } catch (...) {
                done.set_exception(std::current_exception());
            }
        },
        boost::asio::detached);
    auto result = done.get_future().get();
    s.stop();
    s.join();
    return result;
}

TEST(smp, submit_to_runs_on_the_target_and_returns_to_the_caller) {
    auto ok = run_on_shard0<bool>(2, []() -> awaitable<bool> {
        auto caller = runtime::this_shard();
        auto where = co_await runtime::submit_to(shard_id(1),
                                                 [] { return runtime::this_shard(); });
        co_return caller == shard_id(0) && where == shard_id(1)
            && runtime::this_shard() == shard_id(0);
    });
    EXPECT_TRUE(ok);
}

// A lambda owning heap memory crosses shards intact. It is named before
// co_await: GCC 12 destroys an aggregate or lambda temporary with a
// non-trivial destructor twice when it sits inside a co_await expression
// (CONTRIBUTING.md, "Coroutines").
TEST(smp, submit_to_carries_an_owning_lambda_across_shards) {
    auto text = run_on_shard0<std::string>(2, []() -> awaitable<std::string> {
        std::string owned(100, 'x');
        auto task = runtime::submit_to(shard_id(1), [owned] { return owned + "!"; });
        co_return co_await std::move(task);
    });
    EXPECT_EQ(text, std::string(100, 'x') + "!");
}

TEST(smp, submit_to_awaits_coroutines_on_the_target) {
    auto value = run_on_shard0<int>(2, []() -> awaitable<int> {
        co_return co_await runtime::submit_to(shard_id(1), []() -> awaitable<int> {
            boost::asio::steady_timer t(co_await boost::asio::this_coro::executor,
                                        std::chrono::milliseconds(1));
            co_await t.async_wait(boost::asio::use_awaitable);
            co_return static_cast<int>(runtime::this_shard()()) + 41;
        });
    });
    EXPECT_EQ(value, 42);
}

TEST(smp, submit_to_rethrows_the_targets_exception_on_the_caller) {
    auto caught = run_on_shard0<bool>(2, []() -> awaitable<bool> {
        try {
            co_await runtime::submit_to(
                shard_id(1), []() -> int { throw std::runtime_error("boom"); });
        } catch (const std::runtime_error& e) {
            co_return std::string(e.what()) == "boom"
                && runtime::this_shard() == shard_id(0);
        }
        co_return false;
    });
    EXPECT_TRUE(caught);
}

TEST(smp, invoke_on_all_reaches_every_shard) {
    std::atomic<unsigned> mask{0};
    auto shards = run_on_shard0<unsigned>(3, [&]() -> awaitable<unsigned> {
        co_await runtime::invoke_on_all([&](shard_id id) {
            if (runtime::this_shard() == id) {
                mask |= 1u << id();
            }
        });
        co_return smp::instance().count();
    });
    EXPECT_EQ(shards, 3u);
    EXPECT_EQ(mask.load(), 0b111u);
}

TEST(smp, zero_count_means_one_shard_per_core) {
    smp s({.count = 0, .pin = false});
    EXPECT_GE(s.count(), 1u);
}

TEST(gate, close_waits_for_everyone_inside) {
    auto order_ok = run_on_shard0<bool>(1, []() -> awaitable<bool> {
        auto ex = co_await boost::asio::this_coro::executor;
        runtime::gate g(ex);
        bool left = false;
        EXPECT_TRUE(g.try_enter());
        boost::asio::co_spawn(
            ex,
            [&]() -> awaitable<void> {
                boost::asio::steady_timer t(ex, std::chrono::milliseconds(5));
                co_await t.async_wait(boost::asio::use_awaitable);
                left = true;
                g.leave();
            },
            boost::asio::detached);
        co_await g.close();
        co_return left && !g.try_enter() && g.count() == 0;
    });
    EXPECT_TRUE(order_ok);
}

} // namespace
