#include "cluster/leaders_table.h"

namespace cluster {

void leaders_table::set(std::string_view topic, int32_t partition, leader l) {
    if (partition < 0) {
        return;
    }
    auto it = _leaders.find(topic);
    if (it == _leaders.end()) {
        it = _leaders.emplace(std::string(topic), std::vector<std::optional<leader>>{})
                 .first;
    }
    auto& partitions = it->second;
    if (static_cast<size_t>(partition) >= partitions.size()) {
        partitions.resize(static_cast<size_t>(partition) + 1);
    }
    partitions[static_cast<size_t>(partition)] = l;
}

void leaders_table::set_if_newer(std::string_view topic, int32_t partition, leader l) {
    auto known = find(topic, partition);
    if (known
        && (known->term > l.term
            || (known->term == l.term && known->node >= model::node_id(0)))) {
        return;
    }
    set(topic, partition, l);
}

std::optional<leaders_table::leader> leaders_table::find(std::string_view topic,
                                                         int32_t partition) const {
    auto it = _leaders.find(topic);
    if (it == _leaders.end() || partition < 0
        || static_cast<size_t>(partition) >= it->second.size()) {
        return std::nullopt;
    }
    return it->second[static_cast<size_t>(partition)];
}

void leaders_table::remove_topic(std::string_view topic) {
    if (auto it = _leaders.find(topic); it != _leaders.end()) {
        _leaders.erase(it);
    }
}

} // namespace cluster
