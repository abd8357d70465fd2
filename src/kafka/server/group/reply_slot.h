#pragma once

#include "runtime/smp.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace kafka::group {

// One answer that a waiting request gets later (a JoinGroup waits for the
// join phase to end, a SyncGroup for the leader's assignment). Shared
// between the group, which sets it, and the request, which waits on it, so
// that either may go first. Single-shard.
template<typename T>
class reply_slot {
public:
    explicit reply_slot(boost::asio::any_io_executor ex)
      : _wake(std::move(ex), boost::asio::steady_timer::time_point::max()) {}

    bool ready() const { return _value.has_value(); }

    // The first answer wins; later ones are ignored.
    void set(T value) {
        if (_value) {
            return;
        }
        _value = std::move(value);
        _wake.cancel();
    }

    runtime::awaitable<T> wait() {
        while (!_value) {
            boost::system::error_code ec;
            // Named: see CONTRIBUTING.md, "Coroutines".
            auto waited = _wake.async_wait(
                boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            co_await std::move(waited);
        }
        co_return std::move(*_value);
    }

private:
    std::optional<T> _value;
    boost::asio::steady_timer _wake;
};

} // namespace kafka::group
