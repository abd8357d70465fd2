#include "cluster/leaders_table.h"

namespace cluster {

void leaders_table::set(std::string_view topic, int32_t partition, leader l) {
    _leaders.insert_or_assign({std::string(topic), partition}, l);
}

std::optional<leaders_table::leader> leaders_table::find(std::string_view topic,
                                                         int32_t partition) const {
    auto it = _leaders.find(std::pair<std::string, int32_t>(topic, partition));
    if (it == _leaders.end()) {
        return std::nullopt;
    }
    return it->second;
}

void leaders_table::remove_topic(std::string_view topic) {
    auto it = _leaders.lower_bound(std::pair<std::string, int32_t>(topic, INT32_MIN));
    while (it != _leaders.end() && it->first.first == topic) {
        it = _leaders.erase(it);
    }
}

} // namespace cluster
