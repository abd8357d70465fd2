#include "runtime/memory_budget.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

using runtime::memory_budget;

struct memory_budget_test : ::testing::Test {
    boost::asio::io_context io;
    memory_budget budget{io.get_executor(), 100};
    std::vector<std::string> order;

    // Starts a coroutine that waits for n bytes and keeps them in `held`.
    void wait(std::string name, size_t n, std::optional<memory_budget::units>& held) {
        boost::asio::co_spawn(
            io,
            [this, name, n, &held]() -> runtime::awaitable<void> {
                held = co_await budget.wait_for(n);
                order.push_back(name);
            },
            boost::asio::detached);
        io.poll();
    }
};

TEST_F(memory_budget_test, takes_what_is_free_and_gives_it_back) {
    auto a = budget.take_up_to(60);
    EXPECT_EQ(a.size(), 60u);
    auto b = budget.take_up_to(60);
    EXPECT_EQ(b.size(), 40u);
    EXPECT_EQ(budget.take_up_to(1).size(), 0u);
    a.release();
    EXPECT_EQ(budget.available(), 60);
    {
        auto moved = std::move(b);
        EXPECT_EQ(b.size(), 0u);
    }
    EXPECT_EQ(budget.available(), 100);
}

TEST_F(memory_budget_test, a_waiter_runs_once_its_bytes_are_free) {
    auto a = budget.take_up_to(80);
    std::optional<memory_budget::units> held;
    wait("w", 50, held);
    EXPECT_TRUE(order.empty());
    EXPECT_EQ(budget.waiting(), 1u);
    a.resize(50);
    io.poll();
    EXPECT_EQ(order, std::vector<std::string>{"w"});
    EXPECT_EQ(held->size(), 50u);
    EXPECT_EQ(budget.available(), 0);
}

TEST_F(memory_budget_test, waiters_are_served_in_order_so_a_large_one_is_not_starved) {
    auto a = budget.take_up_to(100);
    std::optional<memory_budget::units> big, small;
    wait("big", 90, big);
    wait("small", 10, small);
    a.resize(80);
    io.poll();
    EXPECT_TRUE(order.empty()) << "small may not pass big";
    EXPECT_EQ(budget.take_up_to(5).size(), 0u) << "nor may a taker";
    a.release();
    io.poll();
    EXPECT_EQ(order, (std::vector<std::string>{"big", "small"}));
    EXPECT_EQ(budget.available(), 0);
}

TEST_F(memory_budget_test, a_request_larger_than_the_budget_waits_for_all_of_it) {
    auto a = budget.take_up_to(1);
    std::optional<memory_budget::units> huge;
    wait("huge", 1000, huge);
    EXPECT_TRUE(order.empty());
    a.release();
    io.poll();
    ASSERT_EQ(order.size(), 1u);
    EXPECT_EQ(huge->size(), 100u);
}

TEST_F(memory_budget_test, an_overdraft_delays_later_requests_until_repaid) {
    auto a = budget.take_up_to(10);
    a.resize(150);
    EXPECT_EQ(budget.available(), -50);
    std::optional<memory_budget::units> held;
    wait("w", 10, held);
    a.resize(100);
    io.poll();
    EXPECT_TRUE(order.empty());
    a.release();
    io.poll();
    EXPECT_EQ(order, std::vector<std::string>{"w"});
}

} // namespace
