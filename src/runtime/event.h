#pragma once

#include "runtime/smp.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

namespace runtime {

// A one-shot event on one shard: wait() resumes once set() was called,
// before or after. A timer that never expires serves as the wait queue;
// set() cancels it, waking every waiter at once.
class event {
public:
    explicit event(boost::asio::any_io_executor ex)
      : _timer(std::move(ex), boost::asio::steady_timer::time_point::max()) {}

    void set() {
        _set = true;
        _timer.cancel();
    }

    awaitable<void> wait() {
        while (!_set) {
            boost::system::error_code ec;
            co_await _timer.async_wait(
                boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
    }

private:
    boost::asio::steady_timer _timer;
    bool _set{false};
};

} // namespace runtime
