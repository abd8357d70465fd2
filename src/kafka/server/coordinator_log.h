#pragma once

#include "kafka/protocol/error_code.h"
#include "model/record_batch.h"
#include "runtime/smp.h"
#include "storage/disk_log.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

// What the coordinators (groups, transactions) share about their logs:
// records written as one batch and acknowledged once on disk, and a replay
// of every record in log order.

namespace cluster {
class partition;
} // namespace cluster

namespace kafka {

// A record's key and value (null: a tombstone).
using record_bytes = std::pair<std::vector<uint8_t>, std::optional<std::vector<uint8_t>>>;

// Who writes a batch: nobody in particular, or a transactional producer
// (its offsets in __consumer_offsets wait for the transaction's end).
struct batch_producer {
    int64_t producer_id{model::no_producer_id};
    int16_t epoch{model::no_producer_epoch};
    bool transactional{false};
};

// Appends and waits for the batch to commit; NOT_COORDINATOR when this
// node no longer leads the partition, COORDINATOR_NOT_AVAILABLE when the
// log cannot take it (`what` names the log in the warning), or the
// producer's error.
runtime::awaitable<error_code> append_records(cluster::partition& p, std::string what,
                                              std::vector<record_bytes> records,
                                              batch_producer producer = {});

// Calls `on_record` for each record of each data batch, and `on_marker` for
// each control batch, from the log start to its end, synchronously (the
// log is in the page cache, and small once compacted). Returns how many
// records it saw, or nullopt when the log cannot be read.
using record_fn = std::function<void(
    const model::record_batch_header&, const std::optional<std::span<const uint8_t>>& key,
    const std::optional<std::span<const uint8_t>>& value)>;
using marker_fn = std::function<void(const model::record_batch_header&, bool commit)>;
std::optional<size_t> replay_records(storage::disk_log& log, const std::string& what,
                                     const record_fn& on_record,
                                     const marker_fn& on_marker = {});

} // namespace kafka
