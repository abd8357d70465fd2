#pragma once

#include "raft/types.h"

#include <cstdint>
#include <vector>

namespace raft {

// Kafka offsets count data records only; the partition log (the Raft log)
// also holds Raft's own entries (a leader's first entry, configuration
// changes), one offset each. This maps between the two, so that those
// entries never reach a client and never keep a consumer short of the
// high watermark. It holds the runs of Raft's entries ("gaps") in the log,
// rebuilt from the log like the rest of a partition's state.
class offset_translator {
public:
    // Raft's own entry at raw offset `at`, taking `offsets` positions; after
    // every gap and data entry recorded so far.
    void add_gap(log_index at, int32_t offsets = 1);
    // Forgets the gaps from raw offset `from` on (a truncated log suffix).
    void truncate(log_index from);

    // The Kafka offset of a data record at raw offset `raw`; of a raw log end,
    // the Kafka log end (so the high watermark translates whole).
    int64_t to_kafka(log_index raw) const;
    // The raw offset of the record at Kafka offset `kafka`.
    log_index to_raw(int64_t kafka) const;
    // How many raw offsets below `raw` are Raft's own.
    int64_t gaps_before(log_index raw) const;

private:
    struct run {
        int64_t start;
        int64_t length;
        // Gap offsets in the runs before this one.
        int64_t before;
    };
    std::vector<run> _runs;
};

} // namespace raft
