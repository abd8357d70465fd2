#include "kafka/server/api_table.h"

#include "kafka/protocol/messages/api_catalog.h"
#include "kafka/server/handlers/handlers.h"

#include <algorithm>
#include <array>

namespace kafka {
namespace {

namespace key = protocol::api_key;

// The APIs this broker serves, and their handlers.
struct handler_row {
    int16_t key;
    handler serve;
};
constexpr handler_row handler_rows[] = {
    {key::produce, handlers::produce},
    {key::fetch, handlers::fetch},
    {key::list_offsets, handlers::list_offsets},
    {key::metadata, handlers::metadata},
    {key::api_versions, handlers::api_versions},
    {key::create_topics, handlers::create_topics},
    {key::delete_topics, handlers::delete_topics},
    {key::describe_configs, handlers::describe_configs},
    {key::alter_configs, handlers::alter_configs},
    {key::incremental_alter_configs, handlers::incremental_alter_configs},
    {key::create_partitions, handlers::create_partitions},
    {key::offset_for_leader_epoch, handlers::offset_for_leader_epoch},
    {key::delete_records, handlers::delete_records},
    {key::describe_cluster, handlers::describe_cluster},
    {key::find_coordinator, handlers::find_coordinator},
    {key::join_group, handlers::join_group},
    {key::sync_group, handlers::sync_group},
    {key::heartbeat, handlers::heartbeat},
    {key::leave_group, handlers::leave_group},
    {key::offset_commit, handlers::offset_commit},
    {key::offset_fetch, handlers::offset_fetch},
    {key::describe_groups, handlers::describe_groups},
    {key::list_groups, handlers::list_groups},
    {key::delete_groups, handlers::delete_groups},
    {key::offset_delete, handlers::offset_delete},
    {key::describe_log_dirs, handlers::describe_log_dirs},
    {key::elect_leaders, handlers::elect_leaders},
    {key::describe_topic_partitions, handlers::describe_topic_partitions},
    {key::init_producer_id, handlers::init_producer_id},
    {key::describe_producers, handlers::describe_producers},
    {key::add_partitions_to_txn, handlers::add_partitions_to_txn},
    {key::add_offsets_to_txn, handlers::add_offsets_to_txn},
    {key::end_txn, handlers::end_txn},
    {key::txn_offset_commit, handlers::txn_offset_commit},
    {key::describe_transactions, handlers::describe_transactions},
    {key::list_transactions, handlers::list_transactions},
};

// Where Kafka 4.0 advertises less than the definitions cover: the old
// message formats (magic 0/1) are gone, so Fetch starts at v4. Produce keeps
// v0-v2 advertised because older librdkafka's feature detection looks for
// them (KAFKA-18659), but its handler answers them UNSUPPORTED_VERSION.
// DescribeLogDirs v0 is gone too (KIP-896).
struct range_row {
    int16_t key;
    int16_t min_version;
    int16_t max_version;
};
constexpr range_row kafka_4_0_ranges[] = {
    {key::fetch, 4, 17},
    {key::describe_log_dirs, 1, 4},
};

constexpr handler handler_of(int16_t k) {
    for (const auto& row : handler_rows) {
        if (row.key == k) {
            return row.serve;
        }
    }
    return nullptr;
}

constexpr api_entry entry_of(const protocol::api_definition& def) {
    api_entry e{def.key,
                def.name,
                def.min_version,
                def.max_version,
                def.first_flexible_version,
                handler_of(def.key)};
    for (const auto& r : kafka_4_0_ranges) {
        if (r.key == def.key) {
            e.min_version = r.min_version;
            e.max_version = r.max_version;
        }
    }
    return e;
}

constexpr auto make_all() {
    std::array<api_entry, protocol::api_definitions.size()> all{};
    for (size_t i = 0; i < all.size(); ++i) {
        all[i] = entry_of(protocol::api_definitions[i]);
    }
    return all;
}

constexpr auto all = make_all();

constexpr size_t served_count =
    std::count_if(all.begin(), all.end(), [](const api_entry& e) { return e.serve; });

constexpr auto make_served() {
    std::array<api_entry, served_count> served{};
    size_t n = 0;
    for (const auto& e : all) {
        if (e.serve) {
            served[n++] = e;
        }
    }
    return served;
}

constexpr auto served = make_served();

// Every advertised range lies inside what the definitions can encode, and
// every handler belongs to a defined API.
constexpr bool table_is_consistent() {
    for (const auto& e : all) {
        for (const auto& def : protocol::api_definitions) {
            if (def.key == e.key
                && (e.min_version < def.min_version || e.max_version > def.max_version
                    || e.min_version > e.max_version)) {
                return false;
            }
        }
    }
    return served_count == std::size(handler_rows);
}
static_assert(table_is_consistent(), "the API table disagrees with the definitions");

} // namespace

std::span<const api_entry> all_apis() {
    return all;
}

std::span<const api_entry> served_apis() {
    return served;
}

const api_entry* find_api(int16_t k) {
    for (const auto& e : served) {
        if (e.key == k) {
            return &e;
        }
    }
    return nullptr;
}

} // namespace kafka
