#pragma once

// Waiting in tests that run on a reactor: a pause, and polling a condition
// up to a deadline.

#include "runtime/smp.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <functional>

namespace runtime::testing {

inline awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    boost::system::error_code ec;
    co_await t.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

// True once `done` holds, polled every 5 ms; false when `limit` passes first.
inline awaitable<bool> wait_until(
    std::function<bool()> done,
    std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            co_return false;
        }
        co_await sleep_for(std::chrono::milliseconds(5));
    }
    co_return true;
}

} // namespace runtime::testing
