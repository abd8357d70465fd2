#include "kafka/protocol/messages/txn_offset_commit.h"
#include "kafka/server/handlers/group_calls.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/handlers/txn_calls.h"

namespace kafka::handlers {
namespace {

// The offsets as an OffsetCommit of the same group and member.
protocol::offset_commit_request as_commit(const protocol::txn_offset_commit_request& in) {
    protocol::offset_commit_request out;
    out.group_id = in.group_id;
    out.generation_id_or_member_epoch = in.generation_id;
    out.member_id = in.member_id;
    out.group_instance_id = in.group_instance_id;
    for (const auto& t : in.topics) {
        auto& topic = out.topics.emplace_back();
        topic.name = t.name;
        for (const auto& p : t.partitions) {
            topic.partitions.push_back(
                {.partition_index = p.partition_index,
                 .committed_offset = p.committed_offset,
                 .committed_leader_epoch = p.committed_leader_epoch,
                 .committed_metadata = p.committed_metadata});
        }
    }
    return out;
}

// v4 answers offsets for a group never added with TRANSACTION_ABORTABLE;
// from v5 (transaction version 2) the offsets add the group's partition.
constexpr int16_t first_abortable_version = 4;
constexpr int16_t first_implicit_add_version = 5;

// Whether the group's partition is in the producer's transaction
// (AddOffsetsToTxn came first, or v5 adds it now): if not, the offsets
// would wait for a marker that never comes.
runtime::awaitable<error_code> check_added(backend& node, int16_t version,
                                           const protocol::txn_offset_commit_request& r) {
    auto group = locate_group(node, r.group_id);
    if (auto* e = std::get_if<error_code>(&group)) {
        co_return *e;
    }
    auto tp = txn::topic_partition(std::string(group::offsets_topic),
                                   std::get<coordinator_place>(group).partition);
    if (version >= first_implicit_add_version) {
        auto added = add_in_txn(node, r.transactional_id, r.producer_id, r.producer_epoch,
                                std::move(tp));
        auto e = co_await std::move(added);
        // The client finds its coordinator again and retries.
        co_return is_coordinator_busy(e) ? error_code::coordinator_not_available : e;
    }
    auto task =
        verify_in_txn(node, r.transactional_id, r.producer_id, r.producer_epoch, tp);
    auto e = co_await std::move(task);
    co_return not_added_for(e, version, first_abortable_version);
}

} // namespace

// Offsets committed inside a transaction: written now, counted when the
// transaction commits (its marker reaches the group's partition).
result txn_offset_commit(request_context& ctx) {
    auto request = decode_request<protocol::txn_offset_commit_request>(ctx);
    if (!request) {
        co_return std::nullopt;
    }
    std::map<std::pair<std::string, int32_t>, error_code> answered;
    auto checked = check_added(ctx.node, ctx.version(), *request);
    if (auto refused = co_await std::move(checked); refused != error_code::none) {
        for (const auto& t : request->topics) {
            for (const auto& p : t.partitions) {
                answered[{t.name, p.partition_index}] = refused;
            }
        }
    } else {
        auto task = commit_offsets(
            ctx.node, as_commit(*request),
            [pid = request->producer_id,
             epoch = request->producer_epoch](group::group_manager& m, int32_t partition,
                                              protocol::offset_commit_request known) {
                return m.txn_commit(partition, std::move(known), pid, epoch);
            });
        answered = co_await std::move(task);
    }
    protocol::txn_offset_commit_response response;
    for (const auto& t : request->topics) {
        auto& out = response.topics.emplace_back();
        out.name = t.name;
        for (const auto& p : t.partitions) {
            // PRODUCER_FENCED from v2 (KIP-588).
            auto e = fenced_for(answered[{t.name, p.partition_index}], ctx.version(), 2);
            out.partitions.push_back({.partition_index = p.partition_index,
                                      .error_code = static_cast<int16_t>(e)});
        }
    }
    co_return encode_response(response, ctx.version());
}

} // namespace kafka::handlers
