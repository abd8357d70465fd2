#include "raft/consensus.h"

#include <gtest/gtest.h>

#include <variant>

using namespace raft;
using raft::log_index;

namespace {

template<typename T>
std::vector<T> effects_of(consensus& c) {
    std::vector<T> out;
    for (auto& e : c.take_effects()) {
        if (auto* v = std::get_if<T>(&e)) {
            out.push_back(std::move(*v));
        }
    }
    return out;
}

template<typename T>
std::vector<T> messages_of(const std::vector<send_message>& sent) {
    std::vector<T> out;
    for (const auto& s : sent) {
        if (const auto* m = std::get_if<T>(&s.out.msg)) {
            out.push_back(*m);
        }
    }
    return out;
}

void tick_until_election(consensus& c) {
    for (int i = 0; i < 40 && c.current_role() == role::follower; ++i) {
        c.tick();
    }
}

std::vector<node_id> three() {
    return {node_id(0), node_id(1), node_id(2)};
}

durable_state state_of(std::vector<node_id> voters) {
    durable_state s;
    s.config.voters = std::move(voters);
    return s;
}

} // namespace

TEST(consensus, a_single_voter_elects_itself_and_commits_what_it_flushed) {
    consensus c(node_id(0), state_of({node_id(0)}), options{});
    tick_until_election(c);
    ASSERT_EQ(c.current_role(), role::leader);
    EXPECT_EQ(c.term(), term_id(1));
    auto writes = effects_of<persist>(c);
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(writes[0].entries[0].type, entry_type::leader_start);
    EXPECT_EQ(c.commit_index(), no_index); // not on disk yet
    c.persisted(writes[0].id);
    EXPECT_EQ(c.commit_index(), log_index(0));
    auto at = c.propose(base::iobuf::copy_of("x"));
    ASSERT_EQ(at, log_index(1));
    c.persisted(effects_of<persist>(c).at(0).id);
    EXPECT_EQ(c.commit_index(), log_index(1));
}

TEST(consensus, a_lone_voter_campaigns_at_once_when_asked) {
    consensus c(node_id(0), state_of({node_id(0)}), options{});
    c.campaign();
    EXPECT_EQ(c.current_role(), role::leader);
    EXPECT_EQ(c.term(), term_id(1));
    // Of three voters, asking starts a pre-vote only: no term is raised.
    consensus d(node_id(0), state_of(three()), options{});
    d.campaign();
    EXPECT_EQ(d.current_role(), role::pre_candidate);
    EXPECT_EQ(d.term(), term_id(0));
}

TEST(consensus, a_term_lost_behind_the_log_is_raised_to_the_logs_last) {
    auto state = state_of({node_id(0)});
    state.term = term_id(1);
    state.voted_for = node_id(0);
    state.log.append(term_id(4), 3);
    consensus c(node_id(0), std::move(state), options{});
    EXPECT_EQ(c.term(), term_id(4));
    c.campaign();
    EXPECT_EQ(c.term(), term_id(5));
    EXPECT_EQ(c.current_role(), role::leader);
}

TEST(consensus, a_pre_vote_raises_no_term_until_a_majority_would_vote) {
    consensus c(node_id(0), state_of(three()), options{});
    tick_until_election(c);
    ASSERT_EQ(c.current_role(), role::pre_candidate);
    EXPECT_EQ(c.term(), term_id(0));
    auto asked = messages_of<vote_request>(effects_of<send_message>(c));
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_TRUE(asked[0].pre_vote);
    EXPECT_EQ(asked[0].term, term_id(1));
    c.receive(envelope{node_id(1), node_id(0), vote_reply{term_id(1), true, true}});
    EXPECT_EQ(c.current_role(), role::candidate);
    EXPECT_EQ(c.term(), term_id(1));
    auto effects = c.take_effects();
    // The vote for itself is durable before the requests go out.
    ASSERT_FALSE(effects.empty());
    EXPECT_TRUE(std::holds_alternative<save_state>(effects[0]));
    c.receive(envelope{node_id(2), node_id(0), vote_reply{term_id(1), true, false}});
    EXPECT_EQ(c.current_role(), role::leader);
}

TEST(consensus, a_follower_hearing_its_leader_refuses_pre_votes) {
    consensus c(node_id(1), state_of(three()), options{});
    c.receive(envelope{node_id(0), node_id(1),
                       append_request{term_id(3), no_index, term_id(0), {}, no_index}});
    c.take_effects();
    c.receive(envelope{node_id(2), node_id(1),
                       vote_request{term_id(4), log_index(5), term_id(3), true, false}});
    auto replies = messages_of<vote_reply>(effects_of<send_message>(c));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_FALSE(replies[0].granted);
    EXPECT_EQ(c.term(), term_id(3));
}

TEST(consensus, a_diverging_follower_points_the_leader_past_the_whole_term) {
    auto state = state_of(three());
    state.term = term_id(3);
    // Entries take offsets 0-1 (term 1) and 2-4 (term 2).
    state.log.append(term_id(1), 2);
    state.log.append(term_id(2), 3);
    consensus c(node_id(1), std::move(state), options{});
    EXPECT_EQ(c.last_index(), log_index(4));
    // The leader of term 4 has term 3 at offset 4.
    c.receive(
        envelope{node_id(0), node_id(1),
                 append_request{term_id(4), log_index(4), term_id(3), {}, no_index}});
    auto replies = messages_of<append_reply>(effects_of<send_message>(c));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_FALSE(replies[0].success);
    EXPECT_EQ(replies[0].hint, log_index(2));
    // An entry of two offsets from offset 2 replaces the diverging one.
    std::vector<entry> entries;
    entries.push_back(entry{term_id(3), entry_type::data, base::iobuf::copy_of("a"), 2});
    c.receive(envelope{node_id(0), node_id(1),
                       append_request{term_id(4), log_index(1), term_id(1),
                                      std::move(entries), log_index(3)}});
    auto effects = c.take_effects();
    const persist* write = nullptr;
    const append_reply* reply = nullptr;
    for (const auto& e : effects) {
        write = write != nullptr ? write : std::get_if<persist>(&e);
        if (const auto* s = std::get_if<send_message>(&e)) {
            reply = std::get_if<append_reply>(&s->out.msg);
        }
    }
    ASSERT_NE(write, nullptr);
    EXPECT_EQ(write->truncate_from, log_index(2));
    EXPECT_EQ(c.last_index(), log_index(3));
    EXPECT_EQ(c.log().term_at(log_index(3)), term_id(3));
    EXPECT_EQ(c.commit_index(), log_index(3));
    ASSERT_NE(reply, nullptr);
    EXPECT_TRUE(reply->success);
    EXPECT_EQ(reply->last_index, log_index(3));
}

TEST(consensus, configurations_round_trip_and_bad_bytes_are_refused) {
    configuration c{{node_id(1), node_id(2)}, {node_id(7)}};
    EXPECT_EQ(decode_configuration(encode_configuration(c)), c);
    EXPECT_FALSE(decode_configuration(base::iobuf::copy_of("xyz")).has_value());
    auto bytes = encode_configuration(c).to_vector();
    bytes[3] = 100; // more voters than bytes
    EXPECT_FALSE(decode_configuration(base::iobuf::copy_of(bytes)).has_value());
}

TEST(consensus, membership_changes_one_voter_at_a_time_after_the_last_commits) {
    consensus c(node_id(0), state_of({node_id(0)}), options{});
    tick_until_election(c);
    ASSERT_EQ(c.current_role(), role::leader);
    // Nothing of this term committed yet.
    EXPECT_FALSE(c.propose_configuration({{node_id(0)}, {node_id(1)}}));
    c.persisted(effects_of<persist>(c).at(0).id);
    // Two voters at once is refused; a learner joins.
    EXPECT_FALSE(c.propose_configuration({{node_id(0), node_id(1), node_id(2)}, {}}));
    auto at = c.propose_configuration({{node_id(0)}, {node_id(1)}});
    ASSERT_TRUE(at.has_value());
    EXPECT_EQ(c.config().learners, std::vector<node_id>{node_id(1)});
    // The change before is not committed: no other change yet.
    EXPECT_FALSE(c.propose_configuration({{node_id(0), node_id(1)}, {}}));
    for (const auto& w : effects_of<persist>(c)) {
        c.persisted(w.id);
    }
    EXPECT_EQ(c.commit_index(), *at);
    EXPECT_TRUE(c.propose_configuration({{node_id(0), node_id(1)}, {}}));
    EXPECT_EQ(c.config().voters.size(), 2u);
}

TEST(consensus, malformed_appends_from_a_peer_are_dropped_not_trusted) {
    consensus c(node_id(1), state_of(three()), options{});
    auto bad = [](log_index prev, term_id prev_term, std::vector<entry> entries) {
        return envelope{
            node_id(0), node_id(1),
            append_request{term_id(5), prev, prev_term, std::move(entries), no_index}};
    };
    std::vector<entry> falling;
    falling.push_back(entry{term_id(4), entry_type::data, {}, 1});
    falling.push_back(entry{term_id(2), entry_type::data, {}, 1});
    std::vector<entry> future;
    future.push_back(entry{term_id(9), entry_type::data, {}, 1});
    std::vector<entry> garbage_config;
    garbage_config.push_back(
        entry{term_id(5), entry_type::configuration, base::iobuf::copy_of("??"), 1});
    c.receive(bad(log_index(-5), term_id(0), {}));
    c.receive(bad(no_index, term_id(3), {}));
    c.receive(bad(no_index, term_id(0), std::move(falling)));
    c.receive(bad(no_index, term_id(0), std::move(future)));
    c.receive(bad(no_index, term_id(0), std::move(garbage_config)));
    EXPECT_TRUE(effects_of<persist>(c).empty());
    EXPECT_EQ(c.last_index(), no_index);
}

TEST(consensus, a_configuration_listing_a_node_twice_is_refused) {
    EXPECT_FALSE((configuration{{node_id(1), node_id(1)}, {}}).valid());
    EXPECT_FALSE((configuration{{node_id(1)}, {node_id(1)}}).valid());
    EXPECT_FALSE((configuration{{}, {node_id(1)}}).valid());
    EXPECT_FALSE(
        decode_configuration(encode_configuration({{node_id(2), node_id(2)}, {}}))
            .has_value());
}
