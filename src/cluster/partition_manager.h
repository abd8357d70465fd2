#pragma once

#include "cluster/topic_table.h"
#include "runtime/smp.h"
#include "storage/log_manager.h"

#include <memory>
#include <string>
#include <string_view>

namespace cluster {

// The partition logs one shard owns, under <data dir>/kafka/<topic>-<n>.
// Which shard owns a partition is a pure function of its topic, number and
// the shard count, so every shard can tell where to send a request.
class partition_manager {
public:
    partition_manager(boost::asio::any_io_executor shard, std::string data_dir,
                      storage::log_config defaults,
                      storage::housekeeping_options options);

    static runtime::shard_id owner(std::string_view topic, int32_t partition,
                                   unsigned shard_count);

    // Opens (creating or recovering) the partitions of `topic` that this
    // shard owns, and applies its configs to those already open.
    storage::result<void> ensure(const topic_metadata& topic, unsigned shard_count);
    // Closes and deletes the partitions of a deleted topic this shard owns.
    runtime::awaitable<void> drop(const topic_metadata& topic, unsigned shard_count);

    storage::log_manager::managed* get(std::string_view topic, int32_t partition);

    // The log settings of a topic: its explicit configs over the broker's.
    storage::log_config config_for(const topic_metadata& topic) const;

    void start() { _logs.start(); }
    runtime::awaitable<void> stop() { return _logs.stop(); }

private:
    static std::string log_name(std::string_view topic, int32_t partition);

    storage::log_config _defaults;
    storage::log_manager _logs;
};

} // namespace cluster
