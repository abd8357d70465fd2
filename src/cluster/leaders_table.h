#pragma once

#include "model/fundamental.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cluster {

// Who leads each partition and in which term (Kafka's leader epoch), as
// one shard knows it: a copy per shard, updated by the owner of each
// partition when its leadership changes, so Metadata and the leader-epoch
// checks of any shard answer without crossing shards. Lookups (one per
// partition of every Fetch) allocate nothing.
class leaders_table {
public:
    struct leader {
        model::node_id node;
        model::term_id term;
        bool operator==(const leader&) const = default;
    };

    void set(std::string_view topic, int32_t partition, leader l);
    // Another node's word on a partition this node may hold no replica
    // of: taken only if newer (a later term) than what this table has, or
    // if it has no leader for that term.
    void set_if_newer(std::string_view topic, int32_t partition, leader l);
    std::optional<leader> find(std::string_view topic, int32_t partition) const;
    void remove_topic(std::string_view topic);

    // Who leads the controller group; -1 while no leader is known.
    void set_controller(model::node_id n) { _controller = n; }
    model::node_id controller() const { return _controller; }

private:
    model::node_id _controller{-1};
    // By topic, then partition number; none where no leader was told.
    std::map<std::string, std::vector<std::optional<leader>>, std::less<>> _leaders;
};

} // namespace cluster
