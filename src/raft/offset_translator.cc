#include "raft/offset_translator.h"

#include "base/vassert.h"

#include <algorithm>

namespace raft {

void offset_translator::add_gap(log_index at, int32_t offsets) {
    vassert(offsets >= 1, "a gap of {} offsets", offsets);
    if (!_runs.empty()) {
        auto& last = _runs.back();
        vassert(at() >= last.start + last.length,
                "gap at {} before the last one's end {}", at, last.start + last.length);
        if (at() == last.start + last.length) {
            last.length += offsets;
            return;
        }
        _runs.push_back({at(), offsets, last.before + last.length});
        return;
    }
    _runs.push_back({at(), offsets, 0});
}

void offset_translator::truncate(log_index from) {
    while (!_runs.empty() && _runs.back().start >= from()) {
        _runs.pop_back();
    }
    if (!_runs.empty()) {
        auto& last = _runs.back();
        last.length = std::min(last.length, from() - last.start);
    }
}

int64_t offset_translator::gaps_before(log_index raw) const {
    // The last run starting below raw.
    auto it = std::lower_bound(_runs.begin(), _runs.end(), raw(),
                               [](const run& r, int64_t v) { return r.start < v; });
    if (it == _runs.begin()) {
        return 0;
    }
    const auto& r = *std::prev(it);
    return r.before + std::min(r.length, raw() - r.start);
}

int64_t offset_translator::to_kafka(log_index raw) const {
    return raw() - gaps_before(raw);
}

log_index offset_translator::to_raw(int64_t kafka) const {
    // The Kafka offset at a run's start is its raw start less the gaps
    // before it; records from there on sit past the run.
    auto it =
        std::upper_bound(_runs.begin(), _runs.end(), kafka,
                         [](int64_t k, const run& r) { return k < r.start - r.before; });
    if (it == _runs.begin()) {
        return log_index(kafka);
    }
    const auto& r = *std::prev(it);
    return log_index(kafka + r.before + r.length);
}

} // namespace raft
