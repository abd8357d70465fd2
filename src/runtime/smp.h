#pragma once

#include "base/named_type.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace runtime {

using shard_id = base::named_type<uint32_t, struct shard_id_tag>;

template<typename T>
using awaitable = boost::asio::awaitable<T>;

// The shards of a process: one io_context per shard, each run by its own
// thread, pinned to its own core by default. State owned by a shard is
// touched only by its thread; other shards reach it with submit_to.
class smp {
public:
    struct options {
        unsigned count{0}; // 0: one shard per available core
        bool pin{true};
    };

    explicit smp(options opts);
    ~smp();
    smp(const smp&) = delete;
    smp& operator=(const smp&) = delete;

    // The process's shards; exactly one smp exists while shards run.
    static smp& instance();

    unsigned count() const { return static_cast<unsigned>(_shards.size()); }
    boost::asio::io_context& context(shard_id id);

    // Starts the shards' threads. They run until stop(): work posted to a
    // shard is run even when it has nothing else to do.
    void start();
    // Lets each shard's thread return once its queued work is done.
    void stop();
    // Waits for every shard's thread to return.
    void join();

private:
    struct shard;
    void run_shard(unsigned index);

    options _opts;
    std::vector<std::unique_ptr<shard>> _shards;
    bool _started{false};
};

// The shard the calling thread runs, or nullopt off the shards.
std::optional<shard_id> current_shard();
// The calling thread's shard; asserts that it is one.
shard_id this_shard();

template<typename T>
struct is_awaitable : std::false_type {};
template<typename T>
struct is_awaitable<awaitable<T>> : std::true_type {};

// What awaiting submit_to(shard, fn) yields: fn's result, unwrapped from
// awaitable<> when fn is a coroutine.
template<typename R>
struct unwrap_awaitable {
    using type = R;
};
template<typename T>
struct unwrap_awaitable<awaitable<T>> {
    using type = T;
};
template<typename F>
using submit_result_t = typename unwrap_awaitable<std::invoke_result_t<F>>::type;

namespace detail {
// A coroutine function, not a lambda: fn lives in the coroutine's frame
// for as long as it runs (a lambda coroutine's captures would not).
template<typename F>
awaitable<submit_result_t<F>> run_submitted(F fn) {
    if constexpr (is_awaitable<std::invoke_result_t<F>>::value) {
        co_return co_await fn();
    } else {
        co_return fn();
    }
}
} // namespace detail

// Runs fn (returning T or awaitable<T>) on shard `target` and gives its
// result back on the caller's shard. An exception fn throws is rethrown
// to the caller.
template<typename F>
awaitable<submit_result_t<F>> submit_to(shard_id target, F fn) {
    return boost::asio::co_spawn(smp::instance().context(target),
                                 detail::run_submitted(std::move(fn)),
                                 boost::asio::use_awaitable);
}

// Runs fn(shard) on every shard, one after the other from the caller, and
// waits for all. fn returns void or awaitable<void>.
template<typename F>
awaitable<void> invoke_on_all(F fn) {
    for (unsigned i = 0; i < smp::instance().count(); ++i) {
        shard_id id(i);
        co_await submit_to(id, [&fn, id] { return fn(id); });
    }
}

} // namespace runtime
