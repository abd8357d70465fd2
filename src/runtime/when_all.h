#pragma once

#include "runtime/smp.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>
#include <vector>

namespace runtime {

// Runs every task concurrently on the calling shard and waits for all;
// the first exception one throws is rethrown once all have ended.
inline runtime::awaitable<void> when_all(std::vector<runtime::awaitable<void>> tasks) {
    auto ex = co_await boost::asio::this_coro::executor;
    size_t left = tasks.size();
    std::exception_ptr failure;
    boost::asio::steady_timer done(ex, boost::asio::steady_timer::time_point::max());
    for (auto& t : tasks) {
        boost::asio::co_spawn(ex, std::move(t), [&](std::exception_ptr e) {
            if (e && !failure) {
                failure = e;
            }
            if (--left == 0) {
                done.cancel();
            }
        });
    }
    while (left > 0) {
        boost::system::error_code ec;
        co_await done.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

} // namespace runtime
