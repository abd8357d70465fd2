#include "kafka/server/fetch_waiters.h"

#include "runtime/smp.h"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace kafka {

fetch_waiters::waiter::waiter(fetch_waiters& owner, std::vector<partition_key> keys)
  : _owner(owner)
  , _keys(std::move(keys)) {
    _owner.add(this);
}

fetch_waiters::waiter::~waiter() {
    _owner.remove(this);
}

void fetch_waiters::waiter::wake() {
    _woken = true;
    if (_wake) {
        _wake();
    }
}

void fetch_waiters::add(waiter* w) {
    for (const auto& k : w->_keys) {
        _by_partition[k].push_back(w);
    }
    _count.fetch_add(1, std::memory_order_release);
}

void fetch_waiters::remove(waiter* w) {
    for (const auto& k : w->_keys) {
        auto found = _by_partition.find(k);
        if (found == _by_partition.end()) {
            continue;
        }
        auto& list = found->second;
        list.erase(std::remove(list.begin(), list.end(), w), list.end());
        if (list.empty()) {
            _by_partition.erase(found);
        }
    }
    _count.fetch_sub(1, std::memory_order_release);
}

void fetch_waiters::wake(const std::string& topic, int32_t partition) {
    auto found = _by_partition.find(partition_key(topic, partition));
    if (found == _by_partition.end()) {
        return;
    }
    // A woken fetch may unregister before this loop ends, so wake a copy.
    auto woken = found->second;
    for (auto* w : woken) {
        w->wake();
    }
}

void wake_fetches(const std::vector<fetch_waiters*>& shards, const std::string& topic,
                  int32_t partition) {
    for (size_t i = 0; i < shards.size(); ++i) {
        auto* w = shards[i];
        if (w == nullptr || !w->waiting()) {
            continue;
        }
        auto& target =
            runtime::smp::instance().context(runtime::shard_id(static_cast<unsigned>(i)));
        boost::asio::post(target, [w, topic, partition] { w->wake(topic, partition); });
    }
}

} // namespace kafka
