#pragma once

#include "kafka/protocol/error_code.h"
#include "kafka/server/group/reply_slot.h"
#include "runtime/smp.h"

#include <memory>
#include <utility>

namespace kafka {

// Whether a coordinator partition's records are replayed into memory.
struct load_state {
    bool loaded{false};
    // Set while one caller replays; the others wait for its result.
    std::shared_ptr<group::reply_slot<error_code>> loading;
};

// Replays a partition once (both coordinators load lazily, on first use):
// the first caller runs `replay`, concurrent ones wait for its result, and
// after a failure the next caller tries again. `state` must outlive the
// wait (an element of a std::map does).
template<typename Replay>
runtime::awaitable<error_code> load_once(load_state& state,
                                         boost::asio::any_io_executor ex, Replay replay) {
    if (state.loaded) {
        co_return error_code::none;
    }
    if (state.loading) {
        auto slot = state.loading;
        co_return co_await slot->wait();
    }
    state.loading = std::make_shared<group::reply_slot<error_code>>(std::move(ex));
    auto slot = state.loading;
    auto e = replay();
    state.loaded = e == error_code::none;
    state.loading.reset();
    slot->set(e);
    co_return e;
}

} // namespace kafka
