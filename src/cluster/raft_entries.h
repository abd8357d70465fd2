#pragma once

#include "model/record_batch.h"
#include "raft/types.h"

#include <algorithm>
#include <optional>
#include <vector>

// Raft entries as the partition log stores them: the partition log is the
// Raft log (docs/rfcs/20261205_raft.md). A data entry is a Kafka record
// batch, its bytes whole; Raft's own entries are control batches with one
// control record, using the types KRaft gives the same entries: a leader's
// first entry is a LeaderChange record (type 2), a configuration a
// KRaftVoters record (type 6) whose value is Atoll's encoding
// (raft::encode_configuration). Their timestamps are -1, so every replica
// stores the same bytes for them. Offset translation keeps them from
// clients.

namespace cluster {

// Kafka's leader epoch is the Raft term less one: Raft's first term is 1,
// while a new partition's first leader has epoch 0 in Kafka, and batches
// carry the epoch. Batches from before Raft (epoch 0, or -1 for none) read
// as terms 1 and 0.
inline model::term_id epoch_of_term(raft::term_id term) {
    return model::term_id(term() - 1);
}
inline raft::term_id term_of_epoch(model::term_id epoch) {
    return raft::term_id(std::max<int64_t>(epoch() + 1, 0));
}

// The batch an entry is stored as, at offset `index` and stamped with the
// epoch of the entry's term; nullopt when a data entry's bytes are not one valid batch
// spanning the entry's offsets.
std::optional<model::record_batch> batch_of(const raft::entry& e, raft::log_index index);

// The entry a stored batch holds. Any batch that is not one of Raft's own
// entries is data to Raft, transaction markers included.
raft::entry entry_of(const model::record_batch& batch);

// Whether a stored batch is one of Raft's own entries.
bool is_raft_entry(const model::record_batch& batch);

} // namespace cluster
