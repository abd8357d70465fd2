#include "runtime/memory_budget.h"

#include "base/vassert.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <utility>

namespace runtime {

memory_budget::units::units(units&& other) noexcept
  : _budget(std::exchange(other._budget, nullptr))
  , _size(std::exchange(other._size, 0)) {}

memory_budget::units& memory_budget::units::operator=(units&& other) noexcept {
    if (this != &other) {
        release();
        _budget = std::exchange(other._budget, nullptr);
        _size = std::exchange(other._size, 0);
    }
    return *this;
}

void memory_budget::units::resize(size_t n) {
    if (_budget == nullptr || n == _size) {
        return;
    }
    if (n > _size) {
        _budget->take(n - _size);
    } else {
        _budget->give_back(_size - n);
    }
    _size = n;
}

memory_budget::memory_budget(boost::asio::any_io_executor ex, size_t capacity)
  : _ex(std::move(ex))
  , _capacity(std::max<size_t>(capacity, 1))
  , _available(static_cast<int64_t>(_capacity)) {}

memory_budget::~memory_budget() {
    vassert(_waiters.empty(), "memory budget destroyed with {} waiters", _waiters.size());
}

awaitable<memory_budget::units> memory_budget::wait_for(size_t n) {
    n = std::min(n, _capacity);
    if (_waiters.empty() && _available >= static_cast<int64_t>(n)) {
        take(n);
        co_return units(this, n);
    }
    boost::asio::steady_timer wake(_ex, boost::asio::steady_timer::time_point::max());
    waiter_guard guard(*this, _waiters.insert(_waiters.end(), waiter{n, &wake}));
    while (!guard.it->granted) {
        boost::system::error_code ec;
        // Named: see CONTRIBUTING.md, "Coroutines".
        auto waited =
            wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        co_await std::move(waited);
    }
    guard.done();
    co_return units(this, n);
}

// Leaves the queue however the wait ends, also when the waiting coroutine
// is destroyed: bytes granted but never used go back.
memory_budget::waiter_guard::~waiter_guard() {
    bool granted = it->granted;
    size_t bytes = it->bytes;
    budget._waiters.erase(it);
    if (granted && !used) {
        budget.give_back(bytes);
    } else {
        // The next in line may fit too.
        budget.wake_next();
    }
}

memory_budget::units memory_budget::take_up_to(size_t n) {
    if (!_waiters.empty() || _available <= 0) {
        return units(this, 0);
    }
    n = std::min(n, static_cast<size_t>(_available));
    take(n);
    return units(this, n);
}

void memory_budget::give_back(size_t n) {
    _available += static_cast<int64_t>(n);
    wake_next();
}

// Grants the first waiter that is not granted yet, if its bytes are free;
// it wakes the next one once it runs, so order is kept.
void memory_budget::wake_next() {
    for (auto& w : _waiters) {
        if (w.granted) {
            continue;
        }
        if (_available < static_cast<int64_t>(w.bytes)) {
            return;
        }
        take(w.bytes);
        w.granted = true;
        w.wake->cancel();
        return;
    }
}

} // namespace runtime
