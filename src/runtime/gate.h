#pragma once

#include "runtime/smp.h"

#include <boost/asio/steady_timer.hpp>

#include <cstddef>

namespace runtime {

// Counts work in progress on one shard (connections, requests) so that a
// stopping service can wait for it to finish. Single-shard: no locks.
class gate {
public:
    explicit gate(boost::asio::any_io_executor ex)
      : _idle(std::move(ex)) {}

    // Refuses new entries once closing.
    bool try_enter() {
        if (_closing) {
            return false;
        }
        ++_count;
        return true;
    }
    void leave();

    size_t count() const { return _count; }
    bool closing() const { return _closing; }

    // Refuses further entries from now on.
    void begin_close() { _closing = true; }
    // Refuses further entries and waits until everything inside has left.
    awaitable<void> close();

private:
    size_t _count{0};
    bool _closing{false};
    // Used as an event: waited on with no deadline, cancelled when the last
    // entry leaves.
    boost::asio::steady_timer _idle;
};

// Enters a gate for a scope.
class gate_holder {
public:
    explicit gate_holder(gate& g)
      : _gate(g) {}
    ~gate_holder() { _gate.leave(); }
    gate_holder(const gate_holder&) = delete;
    gate_holder& operator=(const gate_holder&) = delete;

private:
    gate& _gate;
};

} // namespace runtime
