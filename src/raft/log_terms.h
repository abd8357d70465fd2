#pragma once

#include "raft/types.h"

#include <optional>
#include <vector>

namespace raft {

// The terms of a log's entries, as runs (a term and the index it starts
// at): all the core needs to check a leader's prev_index/prev_term, compare
// logs in an election and point a leader at a follower's divergence,
// without holding the entries themselves. Terms never decrease along a log.
class log_terms {
public:
    log_index last_index() const { return _last; }
    term_id last_term() const;

    // The term of the entry at `i`; term 0 before the first entry; none
    // past the end.
    std::optional<term_id> term_at(log_index i) const;

    // The first index of the run holding `i` (i must be in the log).
    log_index first_index_of_run(log_index i) const;

    // Appends an entry of `offsets` positions after the last one.
    void append(term_id term, int32_t offsets = 1);
    // Extends the log to `last` with entries of `term`: a driver rebuilding
    // the runs from its log's epochs, without reading the entries.
    void extend_to(term_id term, log_index last);
    // Drops every entry from `from` on.
    void truncate(log_index from);

private:
    struct run {
        term_id term;
        log_index first;
    };
    std::vector<run> _runs;
    log_index _last{no_index};
};

} // namespace raft
