#pragma once

#include "model/fundamental.h"

#include <optional>
#include <vector>

namespace storage {

// Leader epoch (Raft term) -> the first offset written in it, as Kafka's
// leader-epoch checkpoint keeps it: what OffsetForLeaderEpoch answers and
// what a Raft follower uses to find where its log diverges. Entries are in
// increasing epoch and offset order.
class epoch_map {
public:
    struct entry {
        model::term_id epoch;
        model::offset start;
        bool operator==(const entry&) const = default;
    };

    // A batch of `epoch` at `offset`: starts a new entry when the epoch is
    // newer than the last one. Returns whether it did.
    bool observe(model::term_id epoch, model::offset offset);
    // Forgets the entries that start at or after `offset` (suffix truncated).
    void truncate_from(model::offset offset);
    // The log now starts at `log_start`: entries wholly before it go, and
    // the one it falls in starts there (as Kafka does).
    void advance_start(model::offset log_start);

    struct end_offset {
        model::term_id epoch;
        model::offset end;
    };
    // OffsetForLeaderEpoch, as Kafka answers it: the largest epoch at or
    // below `requested` and the offset where it ended (the next epoch's
    // start, or `log_end` for the latest); for an epoch older than all,
    // that epoch and the first start. nullopt (UNDEFINED_EPOCH_OFFSET)
    // for an epoch newer than the latest, a negative one, or no epochs.
    std::optional<end_offset> end_offset_for(model::term_id requested,
                                             model::offset log_end) const;

    std::optional<model::term_id> latest() const;
    const std::vector<entry>& entries() const { return _entries; }
    void assign(std::vector<entry> entries) { _entries = std::move(entries); }

private:
    std::vector<entry> _entries;
};

} // namespace storage
