#pragma once

#include "cluster/raft_group.h"
#include "cluster/raft_host.h"
#include "cluster/raft_state_store.h"
#include "cluster/topic_table.h"
#include "rpc/client.h"
#include "runtime/event.h"
#include "runtime/gate.h"
#include "runtime/smp.h"
#include "storage/kvstore.h"
#include "storage/log_manager.h"

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cluster {

// The internal RPC method by which a node hands a command to the
// controller's leader: the request is an encoded topic_command; the answer
// the controller_errc (one byte) and, for a producer id claim, where the
// block claimed starts (8 bytes, big-endian).
inline constexpr uint16_t controller_method = 2;

// Why the controller refused a command.
enum class controller_errc {
    none,
    topic_exists,
    unknown_topic,
    invalid_partitions,
    // The metadata log could not take the command (disk full, I/O error).
    storage_error,
    // This node does not lead the controller group (or stopped leading it
    // before the command committed).
    not_controller,
    // More replicas asked for than the cluster has nodes.
    invalid_replication_factor,
    // Replica lists that do not match the partitions they are for. Keep
    // last: forward() refuses a peer's verdict beyond it.
    invalid_replica_assignment,
};

// The data-plane controller: Raft group 0 over the metadata log
// (<data dir>/controller/metadata-0, its term and vote in the kvstore at
// <data dir>/controller/raft), on shard 0. Its voters are the cluster's
// controller nodes (this node alone by default). The leader checks a
// command against the topics as they stand and replicates it; every
// replica applies committed commands, in log order, on every shard. At
// start the log is applied the same way from its beginning. A command
// given to a node that does not lead is sent to the leader over the
// internal RPC (controller_method); with no leader known, or the leader
// unreachable, it is refused with not_controller, for the caller to retry.
class controller {
public:
    using applier = std::function<runtime::awaitable<void>(const topic_command&)>;
    struct settings {
        raft::node_id self{0};
        // The controller group's voters; this node alone when empty.
        std::vector<raft::node_id> voters;
        std::chrono::milliseconds tick{10};
        raft::options options;
        peer_directory peers;
    };

    // The controller group's id on the wire.
    static constexpr raft::group_id group{0};

    controller(boost::asio::any_io_executor shard, const std::string& data_dir,
               settings s, applier apply);
    ~controller();

    // Opens the metadata log and starts the group. A lone voter leads at
    // once: start() returns once the log, as it was, has been applied.
    runtime::awaitable<storage::result<void>> start();
    runtime::awaitable<void> stop();

    // A peer's Raft batch for the controller group.
    void receive(raft::batch b) { _host.receive(std::move(b)); }
    // A command a peer sent (controller_method); run here only if this
    // node leads. The answer's bytes.
    runtime::awaitable<base::iobuf> serve(base::iobuf request);
    bool is_leader() const { return _group && _group->is_leader(); }
    // Called whenever the controller's leader (as this node knows it) changes.
    void on_leadership(std::function<void(raft::node_id)> l) {
        _leadership_listener = std::move(l);
    }
    raft::node_id leader() const { return _group ? _group->leader() : raft::no_node; }

    // Creates a topic; partitions without replicas listed are placed on
    // the registered nodes (replication_factor of them each, spread).
    runtime::awaitable<controller_errc> create_topic(topic_metadata topic);
    runtime::awaitable<controller_errc> delete_topic(std::string name);
    // Adds partitions up to `total`, on the replicas given (one list per
    // new partition) or, when none are, placed like a new topic's.
    runtime::awaitable<controller_errc> create_partitions(
        std::string name, int32_t total,
        std::vector<std::vector<model::node_id>> replicas = {});
    runtime::awaitable<controller_errc> set_topic_configs(
        std::string name, std::map<std::string, std::string> configs);

    // Records a node's addresses (a no-op when they are recorded already).
    runtime::awaitable<controller_errc> register_node(member node);
    // Proposes the cluster's id (a no-op once the log holds one).
    runtime::awaitable<controller_errc> propose_cluster_id(std::string id);

    // A producer id never handed out before, on this node or any other;
    // nullopt when the metadata log cannot take the next block or this
    // node does not lead the controller.
    runtime::awaitable<std::optional<int64_t>> allocate_producer_id();

    // The topics and nodes as applied on this node.
    const topic_table& topics() const { return _topics; }
    const members_table& members() const { return _members; }

    // Producer ids are claimed from the metadata log this many at a time.
    static constexpr int64_t producer_id_block = 1000;

private:
    struct apply_waiter {
        model::offset last;
        std::unique_ptr<runtime::event> done;
    };

    struct verdict {
        controller_errc error{controller_errc::none};
        // Where a producer id block claimed starts.
        int64_t block_start{0};
    };
    // True once this node leads and has applied every entry committed
    // before its term (so commands are checked against the cluster's
    // state); false when it does not lead, or not within 5 s.
    runtime::awaitable<bool> caught_up();
    // The command, here if this node leads, else by the leader.
    runtime::awaitable<controller_errc> execute(topic_command cmd);
    runtime::awaitable<controller_errc> run_here(topic_command cmd);
    runtime::awaitable<verdict> forward(topic_command cmd);
    // Leading: claims the next block of producer ids; where it starts.
    runtime::awaitable<std::optional<int64_t>> claim_block();
    runtime::awaitable<controller_errc> create_topic_here(topic_metadata topic);
    runtime::awaitable<controller_errc> delete_topic_here(std::string name);
    runtime::awaitable<controller_errc> create_partitions_here(
        std::string name, int32_t total,
        std::vector<std::vector<model::node_id>> replicas);
    runtime::awaitable<controller_errc> set_topic_configs_here(
        std::string name, std::map<std::string, std::string> configs);
    runtime::awaitable<controller_errc> register_node_here(member node);

    runtime::awaitable<controller_errc> replicate(topic_command cmd,
                                                  const std::string& name);
    // Replicates a command and waits until it is applied here.
    runtime::awaitable<controller_errc> commit(topic_command cmd);
    runtime::awaitable<void> apply_committed();
    // Applies the commands of the batches read, below `end`; the offset
    // after the last one applied, or an error for bytes that do not decode.
    runtime::awaitable<storage::result<model::offset>> apply_read(base::iobuf data,
                                                                  model::offset end);
    runtime::awaitable<void> apply(const topic_command& cmd);
    // Replicas for `count` partitions from `first` on, `rf` each, spread
    // over the registered nodes; nullopt when there are fewer nodes.
    std::optional<std::vector<std::vector<model::node_id>>> place(const topic_id& id,
                                                                  int32_t first,
                                                                  int32_t count,
                                                                  int16_t rf) const;
    // Waits until the entry ending at `last` is applied here; false when
    // the controller stopped first.
    runtime::awaitable<bool> wait_applied(model::offset last);
    void wake_waiters();

    boost::asio::any_io_executor _shard;
    std::string _data_dir;
    settings _settings;
    storage::log_manager _log;
    storage::log_manager::managed* _metadata{nullptr};
    std::unique_ptr<storage::kvstore> _kv;
    std::unique_ptr<raft_state_store> _state;
    raft_host _host;
    std::unique_ptr<raft_group> _group;
    applier _apply;
    std::function<void(raft::node_id)> _leadership_listener;
    topic_table _topics;
    members_table _members;
    // Raw offset of the next entry to apply.
    model::offset _applied_next{0};
    std::unique_ptr<runtime::event> _commit_moved;
    std::list<apply_waiter> _waiters;
    runtime::gate _applying;
    // Commands on their way to the leader: the connection to it (others,
    // to leaders before, closed but kept until stop, as calls may still
    // be finishing) and the calls in flight.
    std::unique_ptr<rpc::client> _to_leader;
    node_address _to_leader_at;
    std::vector<std::unique_ptr<rpc::client>> _old_leaders;
    runtime::gate _forwarding;
    bool _stopping{false};
    // Topics with a command between check and apply: a second command for
    // one of them is refused rather than checked against stale state.
    std::set<std::string, std::less<>> _in_flight;
    // Producer ids: the end of every block claimed so far (as applied),
    // and this node's block, [next, end), taken from its own claim.
    int64_t _producer_ids_end{0};
    int64_t _next_producer_id{0};
    int64_t _block_end{0};
    // The latest claims applied, by raw offset, and where each block
    // starts: where the one before ended, whatever the claimant believed,
    // so claims made on stale state by two leaders never overlap.
    std::map<int64_t, int64_t> _claims;
};

} // namespace cluster
