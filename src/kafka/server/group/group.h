#pragma once

#include "kafka/protocol/error_code.h"
#include "kafka/protocol/messages/group_records.h"
#include "kafka/protocol/messages/join_group.h"
#include "kafka/protocol/messages/sync_group.h"
#include "kafka/server/group/reply_slot.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kafka::group {

using clock = std::chrono::steady_clock;

// The classic group protocol's states, named as Kafka names them in
// DescribeGroups and ListGroups.
enum class group_state { empty, preparing_rebalance, completing_rebalance, stable, dead };
std::string_view to_string(group_state s);

// The broker settings a group applies.
struct group_limits {
    std::chrono::milliseconds initial_rebalance_delay{3000};
    int32_t min_session_timeout_ms{6000};
    int32_t max_session_timeout_ms{1800000};
    int32_t max_size{std::numeric_limits<int32_t>::max()};
};

struct sync_answer {
    error_code error{error_code::none};
    std::vector<uint8_t> assignment;
};

struct member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms{0};
    int32_t rebalance_timeout_ms{0};
    std::vector<protocol::join_group_request::protocol> protocols;
    std::vector<uint8_t> assignment;
    clock::time_point last_seen;
    // Set while the member waits for the join phase, or for its assignment.
    std::shared_ptr<reply_slot<protocol::join_group_response>> join_reply;
    std::shared_ptr<reply_slot<sync_answer>> sync_reply;

    const std::vector<uint8_t>* metadata_for(const std::string& protocol) const;
};

// Who sent a JoinGroup, beyond what its body says.
struct join_origin {
    std::string client_id;
    std::string client_host;
    int16_t version;
};

// What a JoinGroup gets: an answer now, or one to wait for.
struct join_outcome {
    std::optional<protocol::join_group_response> now;
    std::shared_ptr<reply_slot<protocol::join_group_response>> later;
};

// One consumer group under the classic protocol, on the shard of its
// __consumer_offsets partition. Its methods apply requests to the state
// machine; the group manager persists what must be durable and drives
// time (tick()).
class group {
public:
    group(std::string id, boost::asio::any_io_executor ex, group_limits limits);

    const std::string& id() const { return _id; }
    group_state state() const { return _state; }
    int32_t generation() const { return _generation; }
    const std::string& protocol_type() const { return _protocol_type; }
    const std::optional<std::string>& protocol_name() const { return _protocol; }
    const std::string& leader() const { return _leader; }
    const std::map<std::string, member>& members() const { return _members; }
    bool has_member(const std::string& id) const { return _members.contains(id); }
    // Whether members told their ids (KIP-394) are yet to join.
    bool expects_members() const { return !_pending.empty(); }

    join_outcome join(const protocol::join_group_request& request,
                      const join_origin& origin, clock::time_point now);

    // SyncGroup: an error now, the member's assignment now (stable group),
    // or a slot for it. A leader's sync carries the assignments, which the
    // manager persists (metadata()) before calling finish_sync().
    struct sync_outcome {
        std::optional<sync_answer> now;
        std::shared_ptr<reply_slot<sync_answer>> later;
        bool leader_assigned{false};
    };
    sync_outcome sync(const protocol::sync_group_request& request, clock::time_point now);
    // After the leader's assignments are durable (or failed to be).
    void finish_sync(int32_t generation, error_code persisted);

    // Answers every member still waiting (to join, or for its assignment)
    // with `e`: the coordinator is going away.
    void shed(error_code e);

    error_code heartbeat(const std::string& member_id,
                         const std::optional<std::string>& instance_id,
                         int32_t generation, clock::time_point now);
    // One member leaves (by id, or by instance id for a static member).
    error_code leave(const std::string& member_id,
                     const std::optional<std::string>& instance_id,
                     clock::time_point now);

    // Whether an offset commit from this member at this generation may go
    // in (generation -1 with no member: a tool's commit to an empty group).
    error_code check_commit(const std::string& member_id,
                            const std::optional<std::string>& instance_id,
                            int32_t generation, clock::time_point now) const;

    // Expires members and ends join and sync phases that ran out of time.
    // Returns whether the group's persisted state changed.
    bool tick(clock::time_point now);

    // The group's record, as __consumer_offsets keeps it.
    protocol::group_metadata_value metadata(int64_t now_ms) const;
    // Rebuilt from its record at start: a group with members comes back
    // stable, its members given a session timeout from now to return.
    void restore(const protocol::group_metadata_value& v, clock::time_point now);

    // The topics the members subscribe to under the consumer protocol.
    std::vector<std::string> subscribed_topics() const;

    void mark_dead() { _state = group_state::dead; }

private:
    error_code check_member(const std::string& member_id,
                            const std::optional<std::string>& instance_id,
                            int32_t generation) const;
    error_code validate_join(const protocol::join_group_request& request) const;
    join_outcome join_new_member(const protocol::join_group_request& request,
                                 const join_origin& origin, clock::time_point now);
    join_outcome join_known_member(member& m, const protocol::join_group_request& request,
                                   clock::time_point now);
    join_outcome rejoin_static(std::string old_id,
                               const protocol::join_group_request& request,
                               const join_origin& origin, clock::time_point now);
    member& add_member(std::string id, const protocol::join_group_request& request,
                       const join_origin& origin, clock::time_point now);
    join_outcome wait_for_join(member& m, clock::time_point now);
    void start_rebalance(clock::time_point now);
    void maybe_complete_join(clock::time_point now);
    void complete_join(clock::time_point now);
    void remove_member(const std::string& id);
    std::optional<std::string> select_protocol() const;
    protocol::join_group_response join_answer(const member& m) const;
    bool all_joined() const;
    std::string new_member_id(const std::string& client_id);

    std::string _id;
    boost::asio::any_io_executor _ex;
    group_limits _limits;
    group_state _state{group_state::empty};
    int32_t _generation{0};
    std::string _protocol_type;
    std::optional<std::string> _protocol;
    std::string _leader;
    std::map<std::string, member> _members;
    // Static members: group.instance.id -> member id.
    std::map<std::string, std::string> _static_members;
    // KIP-394: ids handed out with MEMBER_ID_REQUIRED, not yet joined.
    // The value is when the id expires unused.
    std::map<std::string, clock::time_point> _pending;
    // When the join phase may end at the earliest (the initial delay), and
    // must end at the latest (the rebalance timeout).
    clock::time_point _join_not_before;
    clock::time_point _join_deadline;
    clock::time_point _sync_deadline;
    uint64_t _next_member{0};
};

} // namespace kafka::group
