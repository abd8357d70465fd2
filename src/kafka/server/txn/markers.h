#pragma once

#include "kafka/protocol/error_code.h"
#include "kafka/server/txn/txn_manager.h"
#include "runtime/smp.h"

#include <vector>

namespace cluster {
class partition_manager;
} // namespace cluster

namespace kafka {

namespace group {
class group_manager;
} // namespace group

namespace txn {

// Every shard's partitions and group coordinators, indexed by shard id:
// what a transaction marker touches (consumers waiting on the partition
// are woken when it commits).
struct marker_targets {
    std::vector<cluster::partition_manager*> partitions;
    std::vector<group::group_manager*> groups;
};

// Writes the marker that ends a producer's transaction in one partition
// (a control batch, flushed), on the partition's shard: read_committed
// consumers may read past the transaction from then on, and in
// __consumer_offsets its offsets count (or are dropped). A partition that
// no longer exists (its topic deleted) needs no marker.
runtime::awaitable<error_code> write_marker(const marker_targets& targets,
                                            topic_partition tp, int64_t producer_id,
                                            int16_t epoch, bool commit);

} // namespace txn
} // namespace kafka
