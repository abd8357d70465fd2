#pragma once

#include "kafka/protocol/error_code.h"
#include "kafka/server/group/reply_slot.h"
#include "kafka/server/load_once.h"
#include "kafka/server/txn/txn_records.h"
#include "runtime/gate.h"
#include "runtime/smp.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cluster {
class partition_manager;
} // namespace cluster

namespace kafka::txn {

inline constexpr std::string_view state_topic = "__transaction_state";

// Kafka's TransactionState, as stored (its number) and shown (its name).
enum class txn_status : int8_t {
    empty = 0,
    ongoing = 1,
    prepare_commit = 2,
    prepare_abort = 3,
    complete_commit = 4,
    complete_abort = 5,
    dead = 6,
    prepare_epoch_fence = 7,
};
std::string_view to_string(txn_status s);
std::optional<txn_status> status_named(std::string_view name);

using topic_partition = std::pair<std::string, int32_t>;

// What the coordinator knows of one transactional id.
struct txn_metadata {
    int64_t producer_id{-1};
    int64_t previous_producer_id{-1};
    int16_t epoch{-1};
    // The id a transaction ending with a spent epoch hands over to (KIP-890
    // part 2): the producer continues with it at epoch 0 once it completes.
    int64_t next_producer_id{-1};
    int32_t timeout_ms{60000};
    txn_status status{txn_status::empty};
    // Kafka's transaction.version of the client: 2 once it ended a
    // transaction with an epoch bump (EndTxn v5) or added a partition by
    // producing to it; then an EndTxn at the epoch before is a retry.
    int16_t client_version{1};
    std::set<topic_partition> partitions;
    int64_t last_update_ms{-1};
    int64_t start_ms{-1};
    // A state change is being written or its markers sent: other requests
    // for the id are answered CONCURRENT_TRANSACTIONS meanwhile.
    bool pending{false};
};

struct manager_config {
    // transaction.max.timeout.ms
    int32_t max_timeout_ms{900000};
    // transactional.id.expiration.ms
    int64_t id_expiration_ms{604800000};
    // transaction.abort.timed.out.transaction.cleanup.interval.ms
    std::chrono::milliseconds abort_check_interval{10000};
    // transaction.state.log.num.partitions
    int32_t state_partitions{50};
};

// How the coordinator reaches the rest of the node: a new producer id
// (from the controller), and a transaction marker written to a partition
// (on its shard, with what the marker ends applied there).
struct txn_services {
    std::function<runtime::awaitable<std::optional<int64_t>>()> new_producer_id;
    std::function<runtime::awaitable<error_code>(topic_partition, int64_t producer_id,
                                                 int16_t epoch, bool commit)>
        write_marker;
};

// An id and epoch handed to a producer (InitProducerId, EndTxn v5).
struct producer_result {
    error_code error{error_code::none};
    int64_t producer_id{-1};
    int16_t epoch{-1};
};

struct described_txn {
    error_code error{error_code::none};
    std::string transactional_id;
    txn_metadata metadata;
};

// The transaction coordinator of the transactional ids whose
// __transaction_state partitions this shard owns: their state, the records
// that make it durable (rebuilt from the log when a partition is first
// used, and at start), the markers that end a transaction in each of its
// partitions, and the timeouts that abort a forgotten one. Everything runs
// on this shard. Both of Kafka's transaction protocols are served: in
// version 1 the producer adds each partition (AddPartitionsToTxn) before
// writing to it; in version 2 (KIP-890 part 2) its first write to a
// partition adds it, and every EndTxn bumps the producer's epoch.
class txn_manager {
public:
    txn_manager(boost::asio::any_io_executor ex, cluster::partition_manager& partitions,
                manager_config config, txn_services services);
    ~txn_manager();

    // Loads the partitions this shard already has and finishes the
    // transactions a crash left between prepare and complete.
    void start();
    runtime::awaitable<void> stop();

    // Each call names the __transaction_state partition of its id.
    runtime::awaitable<producer_result> init_producer_id(int32_t partition,
                                                         std::string id,
                                                         int32_t timeout_ms,
                                                         int64_t expected_producer_id,
                                                         int16_t expected_epoch);
    runtime::awaitable<error_code> add_partitions(int32_t partition, std::string id,
                                                  int64_t producer_id, int16_t epoch,
                                                  std::vector<topic_partition> added);
    // Transaction version 2: the producer's first write to `tp` (a
    // transactional batch, or offsets for a group) adds it, starting a
    // transaction if none is open. A transaction still ending is waited for.
    runtime::awaitable<error_code> add_implicitly(int32_t partition, std::string id,
                                                  int64_t producer_id, int16_t epoch,
                                                  topic_partition tp);
    // Whether the producer's ongoing transaction includes `tp` (a
    // partition's check before it takes a transactional batch).
    runtime::awaitable<error_code> verify(int32_t partition, std::string id,
                                          int64_t producer_id, int16_t epoch,
                                          topic_partition tp);
    // With bump_epoch (EndTxn v5), the transaction's markers carry the next
    // epoch and the producer continues with it (or with a new id when the
    // epoch is spent): the answer names them.
    runtime::awaitable<producer_result> end_txn(int32_t partition, std::string id,
                                                int64_t producer_id, int16_t epoch,
                                                bool commit, bool bump_epoch);
    runtime::awaitable<described_txn> describe(int32_t partition, std::string id);
    // The ids of every loaded partition of this shard, filtered (empty
    // filters match everything; min_duration_ms < 0 too).
    runtime::awaitable<std::vector<described_txn>> list(std::set<txn_status> states,
                                                        std::set<int64_t> producer_ids,
                                                        int64_t min_duration_ms);

private:
    runtime::awaitable<error_code> ensure_loaded(int32_t partition);
    error_code replay(int32_t partition);
    runtime::awaitable<error_code> persist(int32_t partition, const std::string& id,
                                           const txn_metadata& next);
    runtime::awaitable<error_code> ready(int32_t partition, const std::string& id,
                                         txn_metadata*& out);
    // ready(), and the id belongs to this producer at this epoch.
    runtime::awaitable<error_code> ready_for(int32_t partition, const std::string& id,
                                             int64_t producer_id, int16_t epoch,
                                             txn_metadata*& out);
    runtime::awaitable<error_code> add(int32_t partition, const std::string& id,
                                       int64_t producer_id, int16_t epoch,
                                       std::vector<topic_partition> added,
                                       int16_t client_version);
    // What a transaction's end does to the producer's epoch: nothing
    // (version 1), a fence of the old instance (a timeout, a new instance),
    // or version 2's bump at every end.
    enum class epoch_change { keep, fence, bump };
    // Writes the prepare record, then (in the background) the markers and
    // the complete record.
    runtime::awaitable<error_code> prepare_end(int32_t partition, std::string id,
                                               bool commit, epoch_change change);
    // Until the change in flight for the id (pending) is done, or the
    // deadline.
    runtime::awaitable<void> settled(const std::string& id,
                                     std::chrono::steady_clock::time_point deadline);
    // Ends the id's pending change and wakes who waits for it.
    void release(const std::string& id);
    void wake_settled(const std::string& id);
    runtime::awaitable<void> complete_end(int32_t partition, std::string id);
    runtime::awaitable<void> write_marker_until_done(topic_partition tp,
                                                     int64_t producer_id, int16_t epoch,
                                                     bool commit);
    void start_completion(int32_t partition, const std::string& id);
    runtime::awaitable<void> run_ticks();
    runtime::awaitable<void> abort_timed_out();
    runtime::awaitable<void> expire_ids();
    txn_metadata* find(const std::string& id);

    boost::asio::any_io_executor _ex;
    cluster::partition_manager& _partitions;
    manager_config _config;
    txn_services _services;
    struct partition_state {
        load_state load;
        std::set<std::string> ids;
    };
    std::map<int32_t, partition_state> _loaded;
    std::map<std::string, txn_metadata> _txns;
    std::map<std::string, int32_t> _txn_partition;
    // Requests waiting for an id's transaction to complete.
    // Each waiter's timer runs to its deadline unless cancelled by the wake.
    std::map<std::string, std::vector<std::shared_ptr<boost::asio::steady_timer>>>
        _settling;
    boost::asio::steady_timer _ticker;
    int64_t _next_expiry_ms{0};
    bool _stopping{false};
    runtime::gate _work;
};

} // namespace kafka::txn
