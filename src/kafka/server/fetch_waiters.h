#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kafka {

// The fetches of one shard that are waiting for data (a long poll: fewer
// than min_bytes found, max_wait_ms not yet up). An append to a partition,
// on whichever shard owns it, wakes the waiters of that partition, so that a
// consumer sees new data as soon as it is in the log instead of at its next
// poll. Everything but waiting() runs on the owning shard only.
class fetch_waiters {
public:
    using partition_key = std::pair<std::string, int32_t>;

    // One waiting fetch: registered for its partitions while it exists.
    class waiter {
    public:
        waiter(fetch_waiters& owner, std::vector<partition_key> keys);
        ~waiter();
        waiter(const waiter&) = delete;
        waiter& operator=(const waiter&) = delete;

        // Whether an append came since the last reset.
        bool woken() const { return _woken; }
        void reset() { _woken = false; }
        // Called with the waiter's wake-up; replaces the previous one.
        template<typename F>
        void on_wake(F f) {
            _wake = std::move(f);
        }

    private:
        friend class fetch_waiters;
        void wake();

        fetch_waiters& _owner;
        std::vector<partition_key> _keys;
        bool _woken{false};
        std::function<void()> _wake;
    };

    // Whether any fetch waits on this shard; safe to read from any shard, so
    // that an append posts a wake-up only where someone waits.
    bool waiting() const { return _count.load(std::memory_order_acquire) > 0; }

    // Wakes every fetch waiting for topic/partition.
    void wake(const std::string& topic, int32_t partition);

private:
    void add(waiter* w);
    void remove(waiter* w);

    std::map<partition_key, std::vector<waiter*>> _by_partition;
    std::atomic<uint32_t> _count{0};
};

// Called on the shard that appended to topic/partition: posts a wake-up to
// every shard (indexed by shard id) where some fetch waits.
void wake_fetches(const std::vector<fetch_waiters*>& shards, const std::string& topic,
                  int32_t partition);

} // namespace kafka
