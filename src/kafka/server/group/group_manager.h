#pragma once

#include "kafka/protocol/messages/delete_groups.h"
#include "kafka/protocol/messages/describe_groups.h"
#include "kafka/protocol/messages/heartbeat.h"
#include "kafka/protocol/messages/leave_group.h"
#include "kafka/protocol/messages/list_groups.h"
#include "kafka/protocol/messages/offset_commit.h"
#include "kafka/protocol/messages/offset_delete.h"
#include "kafka/protocol/messages/offset_fetch.h"
#include "kafka/server/coordinator_log.h"
#include "kafka/server/group/group.h"
#include "kafka/server/group/group_records.h"
#include "kafka/server/load_once.h"
#include "runtime/gate.h"
#include "runtime/smp.h"

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cluster {
class partition_manager;
} // namespace cluster

namespace kafka::group {

inline constexpr std::string_view offsets_topic = "__consumer_offsets";

// Kafka's placement of a group: the partition of __consumer_offsets its
// id hashes to (Java's String.hashCode, made non-negative), so that Kafka's
// tools find a group's records where Kafka would put them.
int32_t partition_for(std::string_view group_id, int32_t partitions);

struct manager_config {
    group_limits limits;
    // offsets.retention.minutes: how long an empty group's offsets are kept.
    std::chrono::milliseconds offsets_retention{std::chrono::minutes(10080)};
    std::chrono::milliseconds retention_check_interval{600000};
    // offset.metadata.max.bytes
    size_t max_metadata_bytes{4096};
};

// The committed offset of one partition, as OffsetFetch answers it.
struct committed {
    int64_t offset{-1};
    int32_t leader_epoch{-1};
    std::string metadata;
    // An open transaction has an offset for it (OffsetFetch's
    // require_stable answers UNSTABLE_OFFSET_COMMIT).
    bool unstable{false};
};

// The groups whose __consumer_offsets partitions this shard owns, their
// committed offsets, and the records that make both durable. Each
// partition's groups are rebuilt from its log the first time they are
// needed. Everything runs on this shard.
class group_manager {
public:
    group_manager(boost::asio::any_io_executor ex, cluster::partition_manager& partitions,
                  manager_config config);
    ~group_manager();

    void start();
    // Before the listener stops: members waiting for a rebalance are told
    // NOT_COORDINATOR now (their rebalance may wait on a member that will
    // never come back), and so is every join from then on.
    void shed_waiters();
    runtime::awaitable<void> stop();

    // Each call names the __consumer_offsets partition of its group.
    runtime::awaitable<protocol::join_group_response> join(
        int32_t partition, protocol::join_group_request request, join_origin origin);
    runtime::awaitable<protocol::sync_group_response> sync(
        int32_t partition, protocol::sync_group_request request);
    runtime::awaitable<error_code> heartbeat(int32_t partition,
                                             protocol::heartbeat_request request);
    runtime::awaitable<protocol::leave_group_response> leave(
        int32_t partition, protocol::leave_group_request request, int16_t version);
    // Partitions whose topic does not exist are answered by the caller.
    runtime::awaitable<protocol::offset_commit_response> commit(
        int32_t partition, protocol::offset_commit_request request, int16_t version);
    // TxnOffsetCommit, as a commit request: the offsets are written as the
    // producer's transactional batch and count once the transaction
    // commits (complete_txn, after its marker is in the log).
    runtime::awaitable<protocol::offset_commit_response> txn_commit(
        int32_t partition, protocol::offset_commit_request request, int64_t producer_id,
        int16_t epoch);
    void complete_txn(int64_t producer_id, bool commit);
    // Null topics: every committed offset of the group.
    runtime::awaitable<
        std::pair<error_code, std::map<std::pair<std::string, int32_t>, committed>>>
    fetch_offsets(
        int32_t partition, std::string group_id,
        std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>> topics);
    runtime::awaitable<protocol::describe_groups_response::described_group> describe(
        int32_t partition, std::string group_id);
    // The groups of every partition this shard owns.
    runtime::awaitable<std::vector<protocol::list_groups_response::listed_group>> list(
        std::vector<int32_t> partitions);
    runtime::awaitable<error_code> delete_group(int32_t partition, std::string group_id);
    runtime::awaitable<protocol::offset_delete_response> delete_offsets(
        int32_t partition, protocol::offset_delete_request request);

private:
    using offsets_of_group =
        std::map<std::pair<std::string, int32_t>, protocol::offset_commit_value>;

    struct partition_state {
        load_state load;
        std::set<std::string> groups; // ids of groups placed here
    };

    runtime::awaitable<error_code> ensure_loaded(int32_t partition);
    error_code replay(int32_t partition);
    void apply(int32_t partition, const coordinator_record& record,
               const model::record_batch_header& batch);
    runtime::awaitable<error_code> append(int32_t partition,
                                          std::vector<record_bytes> records,
                                          batch_producer producer = {});
    runtime::awaitable<protocol::offset_commit_response> commit_with(
        int32_t partition, protocol::offset_commit_request request, int16_t version,
        batch_producer producer);
    void end_transaction(int64_t producer_id, bool commit);
    bool has_pending_txn(const std::string& group,
                         const std::pair<std::string, int32_t>& key) const;
    runtime::awaitable<error_code> persist_group(int32_t partition, const group& g);
    runtime::awaitable<void> finish_sync(int32_t partition, std::string group_id,
                                         int32_t generation);
    group& get_or_create(int32_t partition, const std::string& group_id);
    group* find(const std::string& group_id);
    void drop_group(int32_t partition, const std::string& group_id);
    runtime::awaitable<void> run_ticks();
    runtime::awaitable<void> tick();
    runtime::awaitable<void> expire_offsets();
    runtime::awaitable<void> remove_empty_groups();

    boost::asio::any_io_executor _ex;
    cluster::partition_manager& _partitions;
    manager_config _config;
    std::map<int32_t, partition_state> _loaded;
    std::map<std::string, std::unique_ptr<group>> _groups;
    std::map<std::string, int32_t> _group_partition;
    std::map<std::string, offsets_of_group> _offsets;
    // Offsets of open transactions, by producer id and group.
    std::map<int64_t, std::map<std::string, offsets_of_group>> _pending_txn;
    // When each group last became empty (ms since the epoch), for expiry.
    std::map<std::string, int64_t> _empty_since_ms;
    boost::asio::steady_timer _ticker;
    clock::time_point _next_expiry;
    bool _stopping{false};
    bool _shedding{false};
    runtime::gate _work;
};

} // namespace kafka::group
