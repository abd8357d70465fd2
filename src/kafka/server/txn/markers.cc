#include "kafka/server/txn/markers.h"

#include "cluster/partition_manager.h"
#include "kafka/server/group/group_manager.h"
#include "kafka/server/handlers/partition_calls.h"
#include "model/record_batch_builder.h"
#include "storage/log_manager.h"

#include <chrono>

namespace kafka::txn {
namespace {

// Kafka's coordinator epoch: the epoch of the __transaction_state
// partition's leader. One node, one leader, forever: 0.
constexpr int32_t coordinator_epoch = 0;

model::record_batch marker_batch(int64_t producer_id, int16_t epoch, bool commit) {
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    auto value = model::transaction_marker_value(coordinator_epoch);
    model::record_batch_builder b;
    b.set_producer(producer_id, epoch, model::no_sequence)
        .set_transactional()
        .set_control();
    b.add_control_record(commit ? model::control_record_type::commit
                                : model::control_record_type::abort,
                         std::span<const uint8_t>(value), now);
    return b.build();
}

// On the partition's shard.
runtime::awaitable<error_code> write_here(cluster::partition_manager* partitions,
                                          group::group_manager* groups,
                                          topic_partition tp, int64_t producer_id,
                                          int16_t epoch, bool commit) {
    auto* m = partitions->get(tp.first, tp.second);
    if (m == nullptr) {
        co_return error_code::none;
    }
    // Kafka writes markers with acks=all and completes the transaction's
    // offsets once they are replicated: so does this, once it commits.
    auto task = m->replicate(marker_batch(producer_id, epoch, commit),
                             cluster::replicate_ack::majority);
    auto appended = co_await std::move(task);
    if (!appended) {
        co_return handlers::to_error_code(appended.code());
    }
    if (tp.first == group::offsets_topic) {
        groups->complete_txn(producer_id, commit);
    }
    co_return error_code::none;
}

} // namespace

runtime::awaitable<error_code> write_marker(const marker_targets& targets,
                                            topic_partition tp, int64_t producer_id,
                                            int16_t epoch, bool commit) {
    auto shards = static_cast<unsigned>(targets.partitions.size());
    auto owner = cluster::partition_manager::owner(tp.first, tp.second, shards);
    auto* partitions = targets.partitions[owner()];
    auto* groups = targets.groups[owner()];
    auto task = runtime::submit_to(owner, [=]() {
        return write_here(partitions, groups, tp, producer_id, epoch, commit);
    });
    co_return co_await std::move(task);
}

} // namespace kafka::txn
