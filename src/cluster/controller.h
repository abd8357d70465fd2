#pragma once

#include "cluster/topic_table.h"
#include "runtime/smp.h"
#include "storage/log_manager.h"

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace cluster {

// Why the controller refused a command.
enum class controller_errc {
    none,
    topic_exists,
    unknown_topic,
    invalid_partitions,
    // The metadata log could not take the command (disk full, I/O error).
    storage_error,
};

// The data-plane controller of a single node: the one writer of the
// metadata log (<data dir>/controller/metadata-0), on shard 0. A command is
// checked against the topics as they stand, appended and flushed, then
// applied on every shard. At start the log is replayed the same way. The
// Raft issue replicates this log between controller nodes; the commands
// and the apply path stay.
class controller {
public:
    using applier = std::function<runtime::awaitable<void>(const topic_command&)>;

    controller(boost::asio::any_io_executor shard, const std::string& data_dir,
               applier apply);

    // Replays the metadata log through the applier.
    runtime::awaitable<storage::result<void>> start();
    runtime::awaitable<void> stop();

    runtime::awaitable<controller_errc> create_topic(topic_metadata topic);
    runtime::awaitable<controller_errc> delete_topic(std::string name);
    runtime::awaitable<controller_errc> create_partitions(std::string name,
                                                          int32_t total);
    runtime::awaitable<controller_errc> set_topic_configs(
        std::string name, std::map<std::string, std::string> configs);

    // A producer id never handed out before, on this node or (once the
    // log is replicated) any other; nullopt when the metadata log cannot
    // take the next block.
    runtime::awaitable<std::optional<int64_t>> allocate_producer_id();

    // Shard 0's copy, which commands are checked against.
    const topic_table& topics() const { return _topics; }

    // Producer ids are claimed from the metadata log this many at a time.
    static constexpr int64_t producer_id_block = 1000;

private:
    runtime::awaitable<controller_errc> replicate(topic_command cmd,
                                                  const std::string& name);
    // Appends and flushes a command; false when the log could not take it.
    runtime::awaitable<bool> persist(const topic_command& cmd);

    storage::log_manager _log;
    storage::log_manager::managed* _metadata{nullptr};
    applier _apply;
    topic_table _topics;
    // Topics with a command between check and apply: a second command for
    // one of them is refused rather than checked against stale state.
    std::set<std::string, std::less<>> _in_flight;
    // Producer ids: the next to hand out, the end of the durable claim,
    // and the end of the claims in flight.
    int64_t _next_producer_id{0};
    int64_t _producer_ids_end{0};
    int64_t _producer_ids_claimed{0};
};

} // namespace cluster
