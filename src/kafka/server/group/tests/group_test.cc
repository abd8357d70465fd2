#include "kafka/server/group/group.h"
#include "kafka/server/group/group_manager.h"
#include "kafka/server/group/group_records.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace {

using namespace kafka;
using namespace kafka::group;
using namespace std::chrono_literals;
using coordinator_group = kafka::group::group;

protocol::join_group_request join_request(
    std::string member_id, std::vector<std::string> protocols = {"range"},
    std::optional<std::string> instance = std::nullopt) {
    protocol::join_group_request r;
    r.group_id = "g";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.member_id = std::move(member_id);
    r.group_instance_id = std::move(instance);
    r.protocol_type = "consumer";
    for (auto& p : protocols) {
        r.protocols.push_back({.name = p, .metadata = {uint8_t(p.size())}});
    }
    return r;
}

struct group_test : ::testing::Test {
    boost::asio::io_context io;
    clock::time_point now = clock::time_point{} + 1h;
    // A new group waits a second for more members, so that the members a
    // test adds join one generation together; settle() ends the wait.
    coordinator_group g{"g", io.get_executor(), {.initial_rebalance_delay = 1000ms}};
    join_origin origin{"client", "127.0.0.1", 9};

    // Joins a new dynamic member through KIP-394's round; returns its id
    // and the slot of its pending join.
    std::pair<std::string, std::shared_ptr<reply_slot<protocol::join_group_response>>>
    new_member(std::vector<std::string> protocols = {"range"}) {
        auto first = g.join(join_request("", protocols), origin, now);
        EXPECT_TRUE(first.now);
        EXPECT_EQ(first.now->error_code, int16_t(error_code::member_id_required));
        auto id = first.now->member_id;
        auto second = g.join(join_request(id, protocols), origin, now);
        EXPECT_FALSE(second.now);
        return {id, second.later};
    }

    void settle() {
        now += 1s;
        g.tick(now);
    }

    protocol::join_group_response answer(
        const std::shared_ptr<reply_slot<protocol::join_group_response>>& slot) {
        EXPECT_TRUE(slot->ready());
        std::optional<protocol::join_group_response> out;
        boost::asio::co_spawn(
            io, [&]() -> runtime::awaitable<void> { out = co_await slot->wait(); },
            boost::asio::detached);
        io.poll();
        io.restart();
        return *out;
    }

    sync_answer sync_now(
        const std::string& id,
        std::vector<std::pair<std::string, std::vector<uint8_t>>> assign = {}) {
        protocol::sync_group_request r;
        r.group_id = "g";
        r.generation_id = g.generation();
        r.member_id = id;
        for (auto& [m, a] : assign) {
            r.assignments.push_back({.member_id = m, .assignment = a});
        }
        auto out = g.sync(r, now);
        if (out.now) {
            return *out.now;
        }
        if (out.leader_assigned) {
            g.finish_sync(g.generation(), error_code::none);
        }
        EXPECT_TRUE(out.later->ready());
        std::optional<sync_answer> got;
        boost::asio::co_spawn(
            io, [&]() -> runtime::awaitable<void> { got = co_await out.later->wait(); },
            boost::asio::detached);
        io.poll();
        io.restart();
        return *got;
    }
};

TEST_F(group_test, a_lone_member_gets_its_id_then_leads_generation_one) {
    auto [id, slot] = new_member();
    EXPECT_FALSE(slot->ready()) << "the initial delay";
    settle();
    auto joined = answer(slot);
    EXPECT_EQ(joined.error_code, 0);
    EXPECT_EQ(joined.generation_id, 1);
    EXPECT_EQ(joined.leader, id);
    EXPECT_EQ(joined.protocol_name, "range");
    ASSERT_EQ(joined.members.size(), 1u);
    EXPECT_EQ(g.state(), group_state::completing_rebalance);
    auto synced = sync_now(id, {{id, {1, 2, 3}}});
    EXPECT_EQ(synced.error, error_code::none);
    EXPECT_EQ(synced.assignment, (std::vector<uint8_t>{1, 2, 3}));
    EXPECT_EQ(g.state(), group_state::stable);
}

TEST_F(group_test, the_join_phase_waits_for_every_member_and_only_the_leader_sees_them) {
    auto [a, a_slot] = new_member();
    settle();
    answer(a_slot);
    sync_now(a, {{a, {1}}});
    // A second member makes the group rebalance; the first must rejoin.
    auto [b, b_slot] = new_member();
    EXPECT_EQ(g.state(), group_state::preparing_rebalance);
    EXPECT_FALSE(b_slot->ready());
    EXPECT_EQ(g.heartbeat(a, std::nullopt, 1, now), error_code::rebalance_in_progress);
    auto again = g.join(join_request(a), origin, now);
    ASSERT_FALSE(again.now);
    auto leader = answer(again.later);
    auto follower = answer(b_slot);
    EXPECT_EQ(leader.generation_id, 2);
    EXPECT_EQ(follower.generation_id, 2);
    EXPECT_EQ(leader.leader, a);
    EXPECT_EQ(leader.members.size(), 2u);
    EXPECT_TRUE(follower.members.empty());
}

TEST_F(group_test, a_follower_syncing_first_waits_for_the_leaders_assignment) {
    auto [a, a_slot] = new_member();
    auto [b, b_slot] = new_member();
    settle();
    auto ja = answer(a_slot);
    answer(b_slot);
    auto follower_id = ja.leader == a ? b : a;
    auto leader_id = ja.leader;
    protocol::sync_group_request r;
    r.group_id = "g";
    r.generation_id = g.generation();
    r.member_id = follower_id;
    auto waiting = g.sync(r, now);
    ASSERT_FALSE(waiting.now);
    EXPECT_FALSE(waiting.later->ready());
    sync_now(leader_id, {{leader_id, {1}}, {follower_id, {2}}});
    ASSERT_TRUE(waiting.later->ready());
}

TEST_F(group_test, stale_generations_and_unknown_members_are_refused) {
    auto [id, slot] = new_member();
    settle();
    answer(slot);
    sync_now(id, {{id, {1}}});
    EXPECT_EQ(g.heartbeat(id, std::nullopt, 1, now), error_code::none);
    EXPECT_EQ(g.heartbeat(id, std::nullopt, 0, now), error_code::illegal_generation);
    EXPECT_EQ(g.heartbeat("nobody", std::nullopt, 1, now), error_code::unknown_member_id);
    EXPECT_EQ(g.check_commit(id, std::nullopt, 0, now), error_code::illegal_generation);
    EXPECT_EQ(g.check_commit("nobody", std::nullopt, 1, now),
              error_code::unknown_member_id);
    EXPECT_EQ(g.check_commit("", std::nullopt, -1, now), error_code::unknown_member_id)
        << "a tool may not commit for a group with members";
    EXPECT_EQ(g.check_commit(id, std::nullopt, 1, now), error_code::none);
}

TEST_F(group_test, a_member_without_a_common_protocol_is_inconsistent) {
    auto [id, slot] = new_member({"range"});
    settle();
    answer(slot);
    auto out = g.join(join_request("", {"roundrobin"}), origin, now);
    ASSERT_TRUE(out.now);
    EXPECT_EQ(out.now->error_code, int16_t(error_code::inconsistent_group_protocol));
    auto bad_timeout = join_request("");
    bad_timeout.session_timeout_ms = 10;
    EXPECT_EQ(g.join(bad_timeout, origin, now).now->error_code,
              int16_t(error_code::invalid_session_timeout));
}

TEST_F(group_test, the_protocol_every_member_supports_and_most_prefer_wins) {
    auto [a, a_slot] = new_member({"roundrobin", "range"});
    auto [b, b_slot] = new_member({"range", "roundrobin"});
    auto [c, c_slot] = new_member({"range", "sticky"});
    settle();
    EXPECT_EQ(answer(a_slot).protocol_name, "range");
}

TEST_F(group_test, a_silent_member_is_expired_after_its_session_timeout) {
    auto [a, a_slot] = new_member();
    auto [b, b_slot] = new_member();
    settle();
    auto ja = answer(a_slot);
    answer(b_slot);
    sync_now(ja.leader, {});
    ASSERT_EQ(g.state(), group_state::stable);
    now += 6s;
    EXPECT_EQ(g.heartbeat(a, std::nullopt, g.generation(), now), error_code::none);
    now += 5s; // b has been silent for 11 s, a for 5 s
    g.tick(now);
    EXPECT_FALSE(g.has_member(b));
    EXPECT_TRUE(g.has_member(a));
    EXPECT_EQ(g.state(), group_state::preparing_rebalance);
}

TEST_F(group_test, a_member_that_does_not_rejoin_in_time_is_dropped) {
    auto [a, a_slot] = new_member();
    auto [b, b_slot] = new_member();
    settle();
    answer(a_slot);
    answer(b_slot);
    sync_now(g.leader(), {});
    auto again =
        g.join(join_request(a, {"range", "other"}), origin, now); // changed: rebalance
    ASSERT_FALSE(again.now);
    now += 31s; // past the rebalance timeout; b never rejoined
    g.tick(now);
    auto joined = answer(again.later);
    EXPECT_EQ(joined.error_code, 0);
    EXPECT_FALSE(g.has_member(b));
    EXPECT_EQ(joined.members.size(), 1u);
}

TEST_F(group_test,
       a_static_member_that_restarts_keeps_its_assignment_without_a_rebalance) {
    auto first = g.join(join_request("", {"range"}, "instance-1"), origin, now);
    ASSERT_FALSE(first.now) << "static members skip the member-id round";
    settle();
    auto joined = answer(first.later);
    auto old_id = joined.member_id;
    sync_now(old_id, {{old_id, {7}}});
    auto generation = g.generation();
    auto restarted = g.join(join_request("", {"range"}, "instance-1"), origin, now);
    ASSERT_TRUE(restarted.now);
    EXPECT_EQ(restarted.now->error_code, 0);
    EXPECT_EQ(restarted.now->generation_id, generation);
    EXPECT_NE(restarted.now->member_id, old_id);
    EXPECT_TRUE(restarted.now->skip_assignment) << "it led the group";
    EXPECT_EQ(g.state(), group_state::stable);
    EXPECT_EQ(sync_now(restarted.now->member_id).assignment, std::vector<uint8_t>{7});
    // The old incarnation is fenced.
    EXPECT_EQ(g.heartbeat(old_id, std::string("instance-1"), generation, now),
              error_code::unknown_member_id);
}

TEST_F(
    group_test,
    a_static_member_restarting_with_new_metadata_but_the_same_protocol_skips_rebalance) {
    // A restarted Java consumer's subscription no longer lists the partitions
    // it owned: only a change of the selected protocol rebalances (Kafka).
    auto first = g.join(join_request("", {"range"}, "instance-1"), origin, now);
    settle();
    auto old_id = answer(first.later).member_id;
    sync_now(old_id, {{old_id, {7}}});
    auto generation = g.generation();
    auto request = join_request("", {"range"}, "instance-1");
    request.protocols[0].metadata = {1, 2, 3};
    auto restarted = g.join(request, origin, now);
    ASSERT_TRUE(restarted.now);
    EXPECT_EQ(restarted.now->generation_id, generation);
    EXPECT_EQ(g.state(), group_state::stable);
    EXPECT_EQ(sync_now(restarted.now->member_id).assignment, std::vector<uint8_t>{7});
    // Before JoinGroup v9 the restarted leader is named a follower instead.
    join_origin old_client{"client", "127.0.0.1", 8};
    auto again = g.join(join_request("", {"range"}, "instance-1"), old_client, now);
    ASSERT_TRUE(again.now);
    EXPECT_FALSE(again.now->skip_assignment);
    EXPECT_NE(again.now->leader, again.now->member_id);
    EXPECT_TRUE(again.now->members.empty());
    EXPECT_EQ(g.generation(), generation);
    // Preferring a protocol the group would then select does rebalance.
    auto changed =
        g.join(join_request("", {"roundrobin", "range"}, "instance-1"), origin, now);
    EXPECT_FALSE(changed.now);
    EXPECT_NE(g.state(), group_state::stable) << "a rebalance began";
}

TEST_F(group_test, the_last_member_leaving_empties_the_group) {
    auto [id, slot] = new_member();
    settle();
    answer(slot);
    sync_now(id, {});
    EXPECT_EQ(g.leave(id, std::nullopt, now), error_code::none);
    EXPECT_EQ(g.state(), group_state::empty);
    EXPECT_EQ(g.leave(id, std::nullopt, now), error_code::unknown_member_id);
    EXPECT_EQ(g.check_commit("", std::nullopt, -1, now), error_code::none);
}

TEST_F(group_test, a_stable_group_survives_its_record) {
    auto [id, slot] = new_member();
    settle();
    answer(slot);
    sync_now(id, {{id, {9}}});
    auto record = g.metadata(12345);
    auto bytes = encode_group_value(record);
    auto key = encode_group_key("g");
    auto decoded =
        decode_record(std::span<const uint8_t>(key), std::span<const uint8_t>(bytes));
    ASSERT_TRUE(decoded);
    auto* rec = std::get_if<group_record>(&*decoded);
    ASSERT_NE(rec, nullptr);
    ASSERT_TRUE(rec->value);
    coordinator_group restored{"g", io.get_executor(), {}};
    restored.restore(*rec->value, now);
    EXPECT_EQ(restored.state(), group_state::stable);
    EXPECT_EQ(restored.generation(), g.generation());
    EXPECT_EQ(restored.leader(), id);
    ASSERT_TRUE(restored.has_member(id));
    EXPECT_EQ(restored.members().at(id).assignment, std::vector<uint8_t>{9});
}

TEST(group_records, offsets_round_trip_and_tombstones_decode) {
    auto key = encode_offset_key("g", "t", 3);
    protocol::offset_commit_value v{
        .offset = 42, .leader_epoch = 0, .metadata = "m", .commit_timestamp = 7};
    auto value = encode_offset_value(v);
    EXPECT_EQ(key[1], offset_key_version);
    auto rec =
        decode_record(std::span<const uint8_t>(key), std::span<const uint8_t>(value));
    ASSERT_TRUE(rec);
    auto& o = std::get<offset_record>(*rec);
    EXPECT_EQ(o.key.topic, "t");
    EXPECT_EQ(o.key.partition, 3);
    EXPECT_EQ(o.value->offset, 42);
    auto tomb = decode_record(std::span<const uint8_t>(key), std::nullopt);
    ASSERT_TRUE(tomb);
    EXPECT_FALSE(std::get<offset_record>(*tomb).value);
    std::vector<uint8_t> junk{0, 1, 0xff};
    EXPECT_FALSE(decode_record(std::span<const uint8_t>(junk), std::nullopt));
}

TEST(group_placement, follows_javas_string_hash) {
    // Java: "test-group".hashCode() == 627841412, and 627841412 % 50 == 12.
    EXPECT_EQ(partition_for("test-group", 50), 12);
    // Over UTF-16 code units, a surrogate pair for the emoji: 291564465.
    EXPECT_EQ(partition_for("h\xc3\xa9llo\xf0\x9f\x98\x80", 50), 15);
    // Negative hashes are made non-negative: "polygenelubricants".hashCode()
    // is Integer.MIN_VALUE, which Kafka's Utils.abs turns into 0.
    EXPECT_EQ(partition_for("polygenelubricants", 50), 0);
}

} // namespace
