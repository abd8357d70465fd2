#pragma once

#include "cluster/partition_manager.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/backend.h"
#include "runtime/smp.h"
#include "runtime/when_all.h"
#include "storage/errc.h"

#include <boost/asio/co_spawn.hpp>

#include <string>
#include <type_traits>
#include <vector>

// What several handlers share: running work on a partition's owner shard,
// and running the partitions of one request side by side.

namespace kafka::handlers {

inline error_code to_error_code(cluster::replicate_errc e) {
    switch (e) {
        case cluster::replicate_errc::not_leader:
        case cluster::replicate_errc::shutting_down:
            return error_code::not_leader_or_follower;
        case cluster::replicate_errc::out_of_order_sequence:
            return error_code::out_of_order_sequence_number;
        case cluster::replicate_errc::invalid_producer_epoch:
            return error_code::invalid_producer_epoch;
        case cluster::replicate_errc::invalid_txn_state:
            return error_code::invalid_txn_state;
        case cluster::replicate_errc::storage_error:
            break;
    }
    return error_code::kafka_storage_error;
}

inline error_code to_error_code(storage::errc e) {
    switch (e) {
        case storage::errc::offset_out_of_range:
            return error_code::offset_out_of_range;
        case storage::errc::invalid_argument:
            return error_code::invalid_request;
        case storage::errc::out_of_order_sequence:
            return error_code::out_of_order_sequence_number;
        case storage::errc::invalid_producer_epoch:
            return error_code::invalid_producer_epoch;
        case storage::errc::invalid_txn_state:
            return error_code::invalid_txn_state;
        default:
            return error_code::kafka_storage_error;
    }
}

// Runs fn(partition*) on the shard that owns topic/partition; partition* is
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

// A partition of a request, by topic name and number.
struct partition_ref {
    std::string topic;
    int32_t partition{0};
};

template<typename F>
using partition_result_t = std::invoke_result_t<F&, cluster::partition*>;

namespace detail {
// One shard's share of on_partitions: fn on each of `share` (the indexes
// `refs` stand at in the caller's list), results put back in place.
template<typename F>
runtime::awaitable<void> run_share(cluster::partition_manager* manager,
                                   runtime::shard_id shard,
                                   std::vector<partition_ref> refs,
                                   std::vector<size_t> share, F fn,
                                   std::vector<partition_result_t<F>>& results) {
    // Named: see CONTRIBUTING.md, "Coroutines".
    auto task = runtime::submit_to(
        shard, [manager, refs = std::move(refs), fn = std::move(fn)]() mutable {
            std::vector<partition_result_t<F>> out;
            out.reserve(refs.size());
            for (const auto& r : refs) {
                out.push_back(fn(manager->get(r.topic, r.partition)));
            }
            return out;
        });
    auto out = co_await std::move(task);
    for (size_t i = 0; i < share.size(); ++i) {
        results[share[i]] = std::move(out[i]);
    }
}
} // namespace detail

using runtime::when_all;

// Runs fn(partition*) (synchronous, copyable) for each of `partitions` on the
// shard that owns it: one call per shard with that shard's share, the
// shards side by side. Gives back fn's results in the order of
// `partitions`; partition* is null where the owner has no such partition.
template<typename F>
runtime::awaitable<std::vector<partition_result_t<F>>> on_partitions(
    backend& node, std::vector<partition_ref> partitions, F fn) {
    auto shards = static_cast<unsigned>(node.partitions.size());
    std::vector<std::vector<partition_ref>> refs(shards);
    std::vector<std::vector<size_t>> shares(shards);
    for (size_t i = 0; i < partitions.size(); ++i) {
        auto& p = partitions[i];
        auto owner = cluster::partition_manager::owner(p.topic, p.partition, shards);
        refs[owner()].push_back(std::move(p));
        shares[owner()].push_back(i);
    }
    std::vector<partition_result_t<F>> results(partitions.size());
    std::vector<runtime::awaitable<void>> tasks;
    for (unsigned s = 0; s < shards; ++s) {
        if (!shares[s].empty()) {
            tasks.push_back(detail::run_share(node.partitions[s], runtime::shard_id(s),
                                              std::move(refs[s]), std::move(shares[s]),
                                              fn, results));
        }
    }
    auto all = when_all(std::move(tasks));
    co_await std::move(all);
    co_return results;
}

} // namespace kafka::handlers
