#pragma once

#include "model/fundamental.h"
#include "model/record_batch.h"
#include "storage/errc.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace storage {

// One batch of a producer, as the partition remembers it to recognise a
// retried send.
struct producer_batch {
    int32_t first_sequence{model::no_sequence};
    int32_t last_sequence{model::no_sequence};
    model::offset first_offset;
    model::offset last_offset;
    // The batch's largest timestamp (the broker's under LogAppendTime).
    int64_t timestamp{model::no_timestamp};

    bool operator==(const producer_batch&) const = default;
};

// What a partition knows of one producer id: its epoch and its last few
// batches, newest last.
struct producer_entry {
    int16_t epoch{model::no_producer_epoch};
    // The epoch of the transaction coordinator that wrote its last marker.
    int32_t coordinator_epoch{-1};
    int64_t last_timestamp{model::no_timestamp};
    std::deque<producer_batch> batches;
    // The first offset of its open transaction in this partition, if any.
    std::optional<model::offset> transaction_first_offset;

    int32_t last_sequence() const {
        return batches.empty() ? model::no_sequence : batches.back().last_sequence;
    }
    bool operator==(const producer_entry&) const = default;
};

// How a client's batch with a producer id fares against the producer's
// state, as Kafka's broker judges it (ProducerAppendInfo).
enum class producer_verdict {
    // Append it.
    accept,
    // A retry of one of the last batches: answer with its offsets.
    duplicate,
    // OUT_OF_ORDER_SEQUENCE_NUMBER.
    out_of_order_sequence,
    // INVALID_PRODUCER_EPOCH: an epoch older than the partition has seen.
    invalid_producer_epoch,
    // INVALID_TXN_STATE: a plain batch while the producer's transaction
    // is open here.
    invalid_txn_state,
};

// A transaction that ended in an abort, for read_committed fetches: its
// batches span [first_offset, last_offset], the abort marker at last_offset.
struct aborted_transaction {
    int64_t producer_id{model::no_producer_id};
    model::offset first_offset;
    model::offset last_offset;

    bool operator==(const aborted_transaction&) const = default;
};

struct producer_check {
    producer_verdict verdict{producer_verdict::accept};
    // Set for duplicate.
    producer_batch original;
};

// The producer state of one partition: derived from the log alone (every
// batch carries its producer id, epoch and sequence), so a replay of the
// log rebuilds it; snapshots (see producer_snapshot.h) bound the replay.
// Single-threaded, on the partition's shard.
class producer_state {
public:
    // As Kafka: a retry of any of the last five batches is recognised,
    // which is why a producer keeps at most five requests in flight.
    static constexpr size_t retained_batches = 5;

    // Judges a client's batch before it is appended.
    producer_check check(const model::record_batch_header& header) const;
    // Records a batch now in the log (just appended, or replayed); the
    // header carries its base offset. Batches without a producer id are
    // ignored.
    void apply(const model::record_batch_header& header);
    // Records a transaction marker (a control batch) of a producer: it
    // ends the producer's transaction here, committed or aborted.
    void apply_marker(const model::record_batch_header& header, int32_t coordinator_epoch,
                      bool commit);

    // The first offset of the earliest transaction still open here: the
    // last stable offset, when there is one.
    std::optional<model::offset> first_unstable_offset() const;
    // The aborted transactions that overlap [from, to].
    std::vector<aborted_transaction> aborted_between(model::offset from,
                                                     model::offset to) const;
    // Forgets aborted transactions wholly below the log start.
    void forget_aborted_before(model::offset log_start);

    // Forgets producers silent for longer than expiration_ms (by their last
    // batch's timestamp) with no open transaction, as
    // producer.id.expiration.ms asks. Returns how many went.
    size_t expire(int64_t now_ms, int64_t expiration_ms);

    const producer_entry* find(int64_t producer_id) const;
    const std::map<int64_t, producer_entry>& producers() const { return _producers; }
    void clear() { *this = producer_state{}; }

    // The state as a checksummed snapshot, and back.
    std::vector<uint8_t> encode() const;
    static result<producer_state> decode(const std::vector<uint8_t>& bytes);

    bool operator==(const producer_state&) const = default;

private:
    void end_transaction(int64_t producer_id, producer_entry& entry,
                         model::offset marker_offset, bool commit);

    std::map<int64_t, producer_entry> _producers;
    // The open transactions by first offset (derived from _producers).
    std::map<model::offset, int64_t> _open;
    // Aborted transactions, by increasing last offset.
    std::deque<aborted_transaction> _aborted;
};

// The sequence of a batch's last record: sequences wrap to 0 after
// INT32_MAX.
int32_t last_sequence_of(const model::record_batch_header& header);

} // namespace storage
