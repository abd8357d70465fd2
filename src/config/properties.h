#pragma once

#include "config/property.h"

// Typed handles on every registered property, grouped by scope. The
// definitions (defaults, bounds, documentation) are in properties.cc.

namespace config::properties {

// node
extern const property<int64_t> node_id;
extern const property<std::string> log_dir;
extern const property<std::string> listeners;
extern const property<std::string> advertised_listeners;
extern const property<std::string> rpc_listener;
extern const property<std::string> advertised_rpc_listener;
extern const property<std::string> controller_quorum_voters;
extern const property<int64_t> smp;
extern const property<bool> pin_shards;
extern const property<std::string> log_level;
extern const property<int64_t> socket_request_max_bytes;
extern const property<int64_t> shutdown_grace_ms;
extern const property<int64_t> connections_max_idle_ms;
extern const property<int64_t> queued_max_request_bytes;
extern const property<int64_t> max_incremental_fetch_session_cache_slots;
extern const property<int64_t> min_incremental_fetch_session_eviction_ms;

// cluster
extern const property<bool> auto_create_topics_enable;
extern const property<int64_t> group_initial_rebalance_delay_ms;
extern const property<int64_t> group_min_session_timeout_ms;
extern const property<int64_t> group_max_session_timeout_ms;
extern const property<int64_t> group_max_size;
extern const property<int64_t> offsets_topic_num_partitions;
extern const property<int64_t> offsets_retention_minutes;
extern const property<int64_t> offsets_retention_check_interval_ms;
extern const property<int64_t> producer_id_expiration_ms;
extern const property<int64_t> producer_id_expiration_check_interval_ms;
extern const property<int64_t> transaction_state_log_num_partitions;
extern const property<int64_t> transaction_max_timeout_ms;
extern const property<int64_t> transactional_id_expiration_ms;
extern const property<int64_t>
    transaction_abort_timed_out_transaction_cleanup_interval_ms;
extern const property<int64_t> offset_metadata_max_bytes;
extern const property<int64_t> message_max_bytes;
extern const property<int64_t> num_partitions;
extern const property<int64_t> default_replication_factor;

// topic
extern const property<string_list> cleanup_policy;
extern const property<std::string> compression_type;
extern const property<int64_t> max_message_bytes;
extern const property<std::string> message_timestamp_type;
extern const property<int64_t> message_timestamp_before_max_ms;
extern const property<int64_t> message_timestamp_after_max_ms;
extern const property<int64_t> retention_bytes;
extern const property<int64_t> retention_ms;
extern const property<int64_t> segment_bytes;
extern const property<int64_t> segment_ms;
extern const property<int64_t> min_insync_replicas;
extern const property<int64_t> compression_gzip_level;
extern const property<int64_t> compression_lz4_level;
extern const property<int64_t> compression_zstd_level;
extern const property<int64_t> delete_retention_ms;
extern const property<bool> errors_deadletterqueue_group_enable;
extern const property<int64_t> file_delete_delay_ms;
extern const property<int64_t> flush_messages;
extern const property<int64_t> flush_ms;
extern const property<string_list> follower_replication_throttled_replicas;
extern const property<int64_t> index_interval_bytes;
extern const property<string_list> leader_replication_throttled_replicas;
extern const property<int64_t> local_retention_bytes;
extern const property<int64_t> local_retention_ms;
extern const property<int64_t> max_compaction_lag_ms;
extern const property<int64_t> max_decompressed_message_bytes;
extern const property<std::string> min_cleanable_dirty_ratio;
extern const property<int64_t> min_compaction_lag_ms;
extern const property<bool> preallocate;
extern const property<int64_t> remote_copy_lag_bytes;
extern const property<int64_t> remote_copy_lag_ms;
extern const property<bool> remote_log_copy_disable;
extern const property<bool> remote_log_delete_on_disable;
extern const property<bool> remote_storage_enable;
extern const property<int64_t> segment_index_bytes;
extern const property<int64_t> segment_jitter_ms;
extern const property<bool> unclean_leader_election_enable;

} // namespace config::properties
