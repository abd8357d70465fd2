#pragma once

#include "cluster/partition_manager.h"
#include "cluster/topic_table.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/backend.h"
#include "kafka/server/group/group_manager.h"
#include "kafka/server/txn/txn_manager.h"
#include "runtime/smp.h"

#include <optional>
#include <string_view>
#include <variant>

// What the transaction handlers share: finding a transactional id's
// coordinator shard, running work there, and Kafka's older error codes.

namespace kafka::handlers {

// Where a transactional id lives: its __transaction_state partition (the
// same hash as groups) and that partition's shard.
struct txn_place {
    int32_t partition;
    runtime::shard_id owner;
};

// Where the id lives, or why it cannot be served: INVALID_REQUEST for an
// empty id, COORDINATOR_NOT_AVAILABLE while __transaction_state does not
// exist (FindCoordinator creates it).
inline std::variant<txn_place, error_code> locate_txn(const backend& node,
                                                      std::string_view id) {
    if (id.empty()) {
        return error_code::invalid_request;
    }
    const auto* topic = node.topics->find(txn::state_topic);
    if (topic == nullptr) {
        return error_code::coordinator_not_available;
    }
    int32_t partition = group::partition_for(id, topic->partitions);
    auto shards = static_cast<unsigned>(node.partitions.size());
    return txn_place{
        partition,
        cluster::partition_manager::owner(txn::state_topic, partition, shards)};
}

// Runs fn(txn_manager&, partition) on the id's shard.
template<typename F>
auto on_txn_coordinator(backend& node, txn_place place, F fn) {
    auto* manager = node.txn_managers[place.owner()];
    return runtime::submit_to(
        place.owner,
        [manager, partition = place.partition, fn = std::move(fn)]() mutable {
            return fn(*manager, partition);
        });
}

// Whether the producer's ongoing transaction includes `tp`, asked of its
// coordinator (KIP-890's verification before a transactional write):
// INVALID_TXN_STATE when it does not, or the producer is unknown there.
inline runtime::awaitable<error_code> verify_in_txn(backend& node,
                                                    std::string transactional_id,
                                                    int64_t producer_id, int16_t epoch,
                                                    txn::topic_partition tp) {
    auto located = locate_txn(node, transactional_id);
    if (std::holds_alternative<error_code>(located)) {
        co_return error_code::invalid_txn_state;
    }
    auto task =
        on_txn_coordinator(node, std::get<txn_place>(located),
                           [id = std::move(transactional_id), producer_id, epoch,
                            tp = std::move(tp)](txn::txn_manager& m, int32_t partition) {
                               return m.verify(partition, id, producer_id, epoch, tp);
                           });
    auto e = co_await std::move(task);
    co_return e == error_code::invalid_producer_id_mapping ? error_code::invalid_txn_state
                                                           : e;
}

// Transaction version 2's implicit add (KIP-890 part 2): the producer's
// first write to `tp` in a transaction (a Produce v12 batch, TxnOffsetCommit
// v5 offsets) adds it, as AddPartitionsToTxn would.
inline runtime::awaitable<error_code> add_in_txn(backend& node,
                                                 std::string transactional_id,
                                                 int64_t producer_id, int16_t epoch,
                                                 txn::topic_partition tp) {
    auto located = locate_txn(node, transactional_id);
    if (auto* e = std::get_if<error_code>(&located)) {
        co_return *e;
    }
    auto task = on_txn_coordinator(
        node, std::get<txn_place>(located),
        [id = std::move(transactional_id), producer_id, epoch,
         tp = std::move(tp)](txn::txn_manager& m, int32_t partition) {
            return m.add_implicitly(partition, id, producer_id, epoch, tp);
        });
    auto e = co_await std::move(task);
    // The write is refused for its epoch, as the partition itself would.
    co_return e == error_code::producer_fenced ? error_code::invalid_producer_epoch : e;
}

// Whether a coordinator error only means "not now": the request is retried.
inline bool is_coordinator_busy(error_code e) {
    return e == error_code::concurrent_transactions
        || e == error_code::coordinator_not_available || e == error_code::not_coordinator
        || e == error_code::coordinator_load_in_progress;
}

// A failed KIP-890 check that the partition was added: from the version
// that knows it (`abortable_from`), TRANSACTION_ABORTABLE tells the client
// to abort rather than fail for good.
inline error_code not_added_for(error_code e, int16_t version, int16_t abortable_from) {
    return e == error_code::invalid_txn_state && version >= abortable_from
        ? error_code::transaction_abortable
        : e;
}

// Before PRODUCER_FENCED (KIP-588) a fenced producer was told
// INVALID_PRODUCER_EPOCH; the APIs' versions below `first` still are.
inline error_code fenced_for(error_code e, int16_t version, int16_t first) {
    return e == error_code::producer_fenced && version < first
        ? error_code::invalid_producer_epoch
        : e;
}

} // namespace kafka::handlers
