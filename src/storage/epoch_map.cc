#include "storage/epoch_map.h"

#include <algorithm>

namespace storage {

bool epoch_map::observe(model::term_id epoch, model::offset offset) {
    if (epoch < model::term_id(0)) {
        return false; // a batch written without a leader epoch
    }
    if (!_entries.empty() && epoch <= _entries.back().epoch) {
        return false;
    }
    _entries.push_back({epoch, offset});
    return true;
}

void epoch_map::truncate_from(model::offset offset) {
    std::erase_if(_entries, [&](const entry& e) { return e.start >= offset; });
}

void epoch_map::advance_start(model::offset log_start) {
    // The last entry starting at or before log_start survives, moved up.
    auto first_after = std::find_if(_entries.begin(), _entries.end(),
                                    [&](const entry& e) { return e.start > log_start; });
    if (first_after == _entries.begin()) {
        return;
    }
    auto covering = std::prev(first_after);
    covering->start = log_start;
    _entries.erase(_entries.begin(), covering);
}

std::optional<epoch_map::end_offset> epoch_map::end_offset_for(
    model::term_id requested, model::offset log_end) const {
    // Kafka's LeaderEpochFileCache.endOffsetFor, case for case.
    if (requested < model::term_id(0) || _entries.empty()) {
        return std::nullopt;
    }
    if (requested == _entries.back().epoch) {
        return end_offset{requested, log_end};
    }
    auto higher =
        std::upper_bound(_entries.begin(), _entries.end(), requested,
                         [](model::term_id r, const entry& e) { return r < e.epoch; });
    if (higher == _entries.end()) {
        return std::nullopt; // newer than any epoch here
    }
    if (higher == _entries.begin()) {
        // Older than every epoch here: it ended where the first began.
        return end_offset{requested, higher->start};
    }
    return end_offset{std::prev(higher)->epoch, higher->start};
}

std::optional<model::term_id> epoch_map::latest() const {
    if (_entries.empty()) {
        return std::nullopt;
    }
    return _entries.back().epoch;
}

} // namespace storage
