#pragma once

#include "cluster/partition_manager.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/backend.h"
#include "runtime/smp.h"
#include "storage/errc.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>
#include <string>
#include <vector>

// What several handlers share: running work on a partition's owner shard,
// and running the partitions of one request side by side.

namespace kafka::handlers {

inline error_code to_error_code(storage::errc e) {
    switch (e) {
        case storage::errc::offset_out_of_range:
            return error_code::offset_out_of_range;
        case storage::errc::invalid_argument:
            return error_code::invalid_request;
        default:
            return error_code::kafka_storage_error;
    }
}

// A single node's leader epoch for every partition, until Raft brings terms.
constexpr int32_t single_node_leader_epoch = 0;

// KIP-320: a client that knows a newer leader epoch than ours, or an older
// one, is told so rather than answered. -1 means the client does not say.
inline error_code check_leader_epoch(int32_t client_epoch) {
    if (client_epoch > single_node_leader_epoch) {
        return error_code::unknown_leader_epoch;
    }
    if (client_epoch >= 0 && client_epoch < single_node_leader_epoch) {
        return error_code::fenced_leader_epoch;
    }
    return error_code::none;
}

// Runs fn(managed*) on the shard that owns topic/partition; managed* is
// null when that shard has no such partition (a topic deleted meanwhile).
template<typename F>
auto on_partition(backend& node, std::string topic, int32_t partition, F fn) {
    auto shards = static_cast<unsigned>(node.partitions.size());
    auto owner = cluster::partition_manager::owner(topic, partition, shards);
    auto* manager = node.partitions[owner()];
    return runtime::submit_to(
        owner,
        [manager, topic = std::move(topic), partition, fn = std::move(fn)]() mutable {
            return fn(manager->get(topic, partition));
        });
}

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

} // namespace kafka::handlers
