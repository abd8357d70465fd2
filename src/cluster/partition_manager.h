#pragma once

#include "cluster/leaders_table.h"
#include "cluster/partition.h"
#include "cluster/raft_host.h"
#include "cluster/raft_state_store.h"
#include "cluster/topic_table.h"
#include "runtime/smp.h"
#include "storage/kvstore.h"
#include "storage/log_manager.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace cluster {

// The partitions one shard owns: their logs under <data dir>/kafka/<topic>-<n>
// (over storage::log_manager) and their Raft groups, ticked here, with
// their terms, votes and Raft entries in the shard's kvstore under
// <data dir>/kvstore/shard-<i>. Which shard owns a partition is a pure
// function of its topic, number and the shard count, so every shard can
// tell where to send a request.
//
// A partition's voters are its replicas (topic_metadata::replicas); one
// whose only replica is this node leads at once and commits what it has
// flushed. The shard's raft_host ticks the groups and carries their
// messages; peers' batches come in through receive().
class partition_manager {
public:
    struct raft_settings {
        model::node_id self{0};
        std::chrono::milliseconds tick{10};
        raft::options options;
        // Where peers' internal RPC listens.
        peer_directory peers;
    };
    using commit_listener = std::function<void(const std::string& topic, int32_t)>;
    using leadership_listener =
        std::function<void(const std::string& topic, int32_t, leaders_table::leader)>;

    partition_manager(boost::asio::any_io_executor shard, std::string data_dir,
                      storage::log_config defaults, storage::housekeeping_options options,
                      raft_settings raft);
    ~partition_manager();

    static runtime::shard_id owner(std::string_view topic, int32_t partition,
                                   unsigned shard_count);
    // Where shard `shard`'s kvstore lives.
    static std::string kvstore_dir(const std::string& data_dir, runtime::shard_id shard);

    // Before any shard opens its kvstore: when the shard count changed
    // since the last run, moves each partition's Raft state to the kvstore
    // of the shard that owns it now (through a copy swapped in by rename,
    // so a crash midway loses nothing), and records the count.
    static storage::result<void> prepare_raft_state(const std::string& data_dir,
                                                    unsigned shard_count);

    // Opens the shard's kvstore; before anything else.
    storage::result<void> open();

    // Opens (creating or recovering) the partitions of `topic` that this
    // shard owns, and applies its configs to those already open.
    storage::result<void> ensure(const topic_metadata& topic, unsigned shard_count);
    // Closes and deletes the partitions of a deleted topic this shard owns.
    runtime::awaitable<void> drop(const topic_metadata& topic, unsigned shard_count);

    partition* get(std::string_view topic, int32_t partition);

    // A peer's batch for groups of this shard (its messages for groups
    // this shard does not run are dropped, as for a deleted partition).
    void receive(raft::batch b);

    // The log settings of a topic: its explicit configs over the broker's.
    storage::log_config config_for(const topic_metadata& topic) const;

    // A partition's commit index moved: consumers waiting may read on.
    void on_commit(commit_listener l) { _on_commit = std::move(l); }
    // A partition's leader or term changed.
    void on_leadership(leadership_listener l) { _on_leadership = std::move(l); }

    void start();
    runtime::awaitable<void> stop();

private:
    static std::string log_name(std::string_view topic, int32_t partition);
    // A replica of the partition is on this node, and this shard owns it.
    bool hosts(const topic_metadata& topic, int32_t p, unsigned shard_count) const;
    std::unique_ptr<partition> make_partition(const topic_metadata& topic, int32_t index,
                                              storage::log_manager::managed& log);

    boost::asio::any_io_executor _shard;
    std::string _data_dir;
    storage::log_config _defaults;
    raft_settings _raft;
    storage::log_manager _logs;
    std::unique_ptr<storage::kvstore> _kv;
    std::unique_ptr<raft_state_store> _state;
    raft_host _host;
    std::map<std::string, std::unique_ptr<partition>, std::less<>> _partitions;
    commit_listener _on_commit;
    leadership_listener _on_leadership;
};

} // namespace cluster
