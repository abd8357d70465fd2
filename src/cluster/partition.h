#pragma once

#include "cluster/raft_group.h"
#include "storage/log_manager.h"

#include <memory>
#include <optional>
#include <string>

namespace cluster {

// A partition as the Kafka layer sees it: its log, replicated by its Raft
// group, in Kafka offsets. The log also holds Raft's own entries (a
// leader's first entry, configurations), which Kafka offsets skip
// (docs/rfcs/20261205_raft.md): everything here takes and gives Kafka
// offsets, and reads leave Raft's entries out and give each batch its
// Kafka base offset. log() is the raw log, for what offsets do not touch
// (sizes, producer ids and epochs, replay of a coordinator's records).
class partition {
public:
    partition(std::string topic, int32_t index, storage::log_manager::managed& log,
              std::unique_ptr<raft_group> group);
    ~partition();
    partition(const partition&) = delete;
    partition& operator=(const partition&) = delete;

    const std::string& topic() const { return _topic; }
    int32_t index() const { return _index; }
    raft_group& raft() { return *_group; }
    const raft_group& raft() const { return *_group; }
    storage::disk_log& log() { return *_log.log; }
    const storage::disk_log& log() const { return *_log.log; }

    int64_t log_start() const;
    // Consumers read below it: the committed records (Raft's commit index).
    int64_t high_watermark() const;
    // read_committed consumers read below it: the first offset of the
    // earliest open transaction, at most the high watermark.
    int64_t last_stable_offset() const;
    // Whether this node leads and its high watermark is up to date: at
    // least where its term starts (Kafka's leader epoch start offset).
    // A new leader's high watermark may lag until a majority has its first
    // entry; ListOffsets answers OFFSET_NOT_AVAILABLE meanwhile (KIP-207).
    bool high_watermark_known() const;
    // One past the last record in the log, committed or not.
    int64_t log_end() const;

    // The bytes of the partition's batches, Raft's own entries left out (an
    // empty partition has 0, as in Kafka).
    uint64_t size_bytes() const;

    int64_t to_kafka(model::offset raw) const;
    model::offset to_raw(int64_t kafka) const;

    // Appends a producer's batch as the leader (see raft_group::replicate);
    // the offsets answered are Kafka's.
    runtime::awaitable<base::result<storage::append_result, replicate_errc>> replicate(
        model::record_batch batch, replicate_ack ack);

    // The data batches from the one holding Kafka offset `from`, none
    // starting past `last`, up to max_bytes (at least one batch when
    // at_least_one), with Kafka base offsets; first_offset and last_offset
    // are Kafka's too.
    storage::result<storage::read_result> read(int64_t from, size_t max_bytes,
                                               int64_t last, bool at_least_one);

    // The first record at or after `timestamp` (ListOffsets), in Kafka offsets.
    storage::result<std::optional<storage::timequery_result>> timequery(
        int64_t timestamp);
    // The largest timestamp's record (ListOffsets -3).
    std::optional<storage::timequery_result> max_timestamp() const;
    // DeleteRecords: the log starts at Kafka offset `offset` from now on.
    storage::result<void> prefix_truncate(int64_t offset);
    // OffsetForLeaderEpoch: the largest epoch at or below `epoch` and the
    // Kafka offset where it ended (the log end for the latest).
    std::optional<storage::epoch_map::end_offset> end_offset_for(
        model::term_id epoch) const;

private:
    std::string _topic;
    int32_t _index;
    storage::log_manager::managed& _log;
    std::unique_ptr<raft_group> _group;
};

} // namespace cluster
