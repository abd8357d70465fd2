#include "raft/log_terms.h"

#include "base/vassert.h"

#include <algorithm>

namespace raft {

std::vector<entry> share_all(const std::vector<entry>& entries) {
    std::vector<entry> out;
    out.reserve(entries.size());
    for (const auto& e : entries) {
        out.push_back(e.share());
    }
    return out;
}

term_id log_terms::last_term() const {
    return _runs.empty() ? term_id(0) : _runs.back().term;
}

std::optional<term_id> log_terms::term_at(log_index i) const {
    if (i < no_index || i > _last) {
        return std::nullopt;
    }
    if (i == no_index) {
        return term_id(0);
    }
    // The last run starting at or before i.
    auto it = std::upper_bound(_runs.begin(), _runs.end(), i,
                               [](log_index v, const run& r) { return v < r.first; });
    vassert(it != _runs.begin(), "log_index {} before the first run", i);
    return std::prev(it)->term;
}

log_index log_terms::first_index_of_run(log_index i) const {
    vassert(i > no_index && i <= _last, "log_index {} outside the log (last {})", i,
            _last);
    auto it = std::upper_bound(_runs.begin(), _runs.end(), i,
                               [](log_index v, const run& r) { return v < r.first; });
    return std::prev(it)->first;
}

void log_terms::append(term_id term, int32_t offsets) {
    vassert(term >= last_term(), "term {} after {}", term, last_term());
    vassert(offsets >= 1, "an entry of {} offsets", offsets);
    auto first = log_index(_last() + 1);
    _last = log_index(_last() + offsets);
    if (_runs.empty() || _runs.back().term != term) {
        _runs.push_back({term, first});
    }
}

void log_terms::extend_to(term_id term, log_index last) {
    vassert(term >= last_term(), "term {} after {}", term, last_term());
    vassert(last > _last, "extending the log to {} from {}", last, _last);
    if (_runs.empty() || _runs.back().term != term) {
        _runs.push_back({term, log_index(_last() + 1)});
    }
    _last = last;
}

void log_terms::truncate(log_index from) {
    if (from > _last) {
        return;
    }
    while (!_runs.empty() && _runs.back().first >= from) {
        _runs.pop_back();
    }
    _last = log_index(std::max(from(), int64_t{0}) - 1);
}

} // namespace raft
