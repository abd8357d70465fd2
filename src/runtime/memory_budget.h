#pragma once

#include "runtime/smp.h"

#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <list>

namespace runtime {

// Bytes a shard lets requests hold at once (their bodies, the data a fetch
// read for its response). A request that finds the budget spent waits, in
// arrival order, and while it waits its connection reads nothing more: the
// client is slowed by TCP backpressure instead of the node growing without
// bound. Single-shard: no locks.
class memory_budget {
public:
    // Bytes held from a budget, given back when destroyed.
    class units {
    public:
        units() = default;
        units(units&& other) noexcept;
        units& operator=(units&& other) noexcept;
        units(const units&) = delete;
        units& operator=(const units&) = delete;
        ~units() { release(); }

        size_t size() const { return _size; }
        // Keeps exactly n bytes: gives back the rest, or takes more at once
        // even past the budget (a fetch's first batch, which must be sent
        // whatever its size). An overdraft delays later requests only.
        void resize(size_t n);
        void release() { resize(0); }

    private:
        friend class memory_budget;
        units(memory_budget* budget, size_t size)
          : _budget(budget)
          , _size(size) {}

        memory_budget* _budget{nullptr};
        size_t _size{0};
    };

    memory_budget(boost::asio::any_io_executor ex, size_t capacity);
    ~memory_budget();
    memory_budget(const memory_budget&) = delete;
    memory_budget& operator=(const memory_budget&) = delete;

    // Waits until n bytes are free (n is capped at the capacity, so any
    // request fits once the budget is idle) and holds them. Waiters are
    // served in order: a large request is not starved by small ones.
    awaitable<units> wait_for(size_t n);
    // Holds what is free now, up to n; possibly nothing.
    units take_up_to(size_t n);

    size_t capacity() const { return _capacity; }
    // Negative after an overdraft.
    int64_t available() const { return _available; }
    size_t waiting() const { return _waiters.size(); }

private:
    void give_back(size_t n);
    void take(size_t n) { _available -= static_cast<int64_t>(n); }
    void wake_next();

    struct waiter {
        size_t bytes;
        boost::asio::steady_timer* wake;
        bool granted{false};
    };
    struct waiter_guard {
        waiter_guard(memory_budget& b, std::list<waiter>::iterator i)
          : budget(b)
          , it(i) {}
        ~waiter_guard();
        waiter_guard(const waiter_guard&) = delete;
        waiter_guard& operator=(const waiter_guard&) = delete;
        void done() { used = true; }

        memory_budget& budget;
        std::list<waiter>::iterator it;
        bool used{false};
    };

    boost::asio::any_io_executor _ex;
    size_t _capacity;
    int64_t _available;
    std::list<waiter> _waiters;
};

} // namespace runtime
