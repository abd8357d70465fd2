#pragma once

#include "base/iobuf.h"
#include "kafka/server/request_context.h"

#include <optional>

// One handler per API, each in its own file (handlers/<api>.cc).

namespace kafka::handlers {

using result = runtime::awaitable<std::optional<base::iobuf>>;

result add_offsets_to_txn(request_context& ctx);
result add_partitions_to_txn(request_context& ctx);
result alter_configs(request_context& ctx);
result api_versions(request_context& ctx);
result create_partitions(request_context& ctx);
result create_topics(request_context& ctx);
result delete_groups(request_context& ctx);
result delete_records(request_context& ctx);
result delete_topics(request_context& ctx);
result describe_cluster(request_context& ctx);
result describe_configs(request_context& ctx);
result describe_groups(request_context& ctx);
result describe_log_dirs(request_context& ctx);
result describe_producers(request_context& ctx);
result describe_topic_partitions(request_context& ctx);
result describe_transactions(request_context& ctx);
result elect_leaders(request_context& ctx);
result end_txn(request_context& ctx);
result fetch(request_context& ctx);
result find_coordinator(request_context& ctx);
result heartbeat(request_context& ctx);
result incremental_alter_configs(request_context& ctx);
result init_producer_id(request_context& ctx);
result join_group(request_context& ctx);
result leave_group(request_context& ctx);
result list_groups(request_context& ctx);
result list_offsets(request_context& ctx);
result list_transactions(request_context& ctx);
result metadata(request_context& ctx);
result offset_commit(request_context& ctx);
result offset_delete(request_context& ctx);
result offset_fetch(request_context& ctx);
result offset_for_leader_epoch(request_context& ctx);
result produce(request_context& ctx);
result sync_group(request_context& ctx);
result txn_offset_commit(request_context& ctx);

// The answer to an ApiVersions request at a version this broker does not
// serve: UNSUPPORTED_VERSION and the API list, in the v0 body format, so
// that any client can read it and retry with a version it finds there.
base::iobuf api_versions_unsupported();

} // namespace kafka::handlers
