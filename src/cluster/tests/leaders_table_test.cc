#include "cluster/leader_broadcast.h"
#include "cluster/leaders_table.h"
#include "cluster/raft_state_store.h"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

namespace cluster {

TEST(leaders_table, finds_what_was_set_by_topic_and_partition) {
    leaders_table t;
    t.set("a-b", 3, {model::node_id(1), model::term_id(4)});
    t.set("a", 0, {model::node_id(2), model::term_id(1)});
    EXPECT_EQ(t.find("a-b", 3),
              (leaders_table::leader{model::node_id(1), model::term_id(4)}));
    EXPECT_FALSE(t.find("a-b", 0).has_value());
    EXPECT_FALSE(t.find("a-b", 4).has_value());
    EXPECT_FALSE(t.find("a-b", -1).has_value());
    EXPECT_FALSE(t.find("b", 0).has_value());
    t.set("a-b", 3, {model::node_id(1), model::term_id(5)});
    EXPECT_EQ(t.find("a-b", 3)->term, model::term_id(5));
    t.remove_topic("a-b");
    EXPECT_FALSE(t.find("a-b", 3).has_value());
    EXPECT_TRUE(t.find("a", 0).has_value());
}

TEST(leaders_table, another_nodes_word_counts_only_when_newer) {
    leaders_table t;
    t.set_if_newer("t", 0, {model::node_id(1), model::term_id(3)});
    EXPECT_EQ(t.find("t", 0)->node, model::node_id(1));
    // Older, or the same term with a leader known: ignored.
    t.set_if_newer("t", 0, {model::node_id(2), model::term_id(2)});
    t.set_if_newer("t", 0, {model::node_id(2), model::term_id(3)});
    EXPECT_EQ(t.find("t", 0)->node, model::node_id(1));
    t.set_if_newer("t", 0, {model::node_id(2), model::term_id(4)});
    EXPECT_EQ(t.find("t", 0),
              (leaders_table::leader{model::node_id(2), model::term_id(4)}));
    // A term this node knows no leader of yet takes the leader told.
    t.set("t", 1, {model::node_id(-1), model::term_id(7)});
    t.set_if_newer("t", 1, {model::node_id(3), model::term_id(7)});
    EXPECT_EQ(t.find("t", 1)->node, model::node_id(3));
}

TEST(leader_broadcast, leaderships_round_trip_and_garbage_is_refused) {
    std::vector<leadership> all{{"orders", 3, {model::node_id(2), model::term_id(9)}},
                                {"", 0, {model::node_id(0), model::term_id(1)}}};
    auto bytes = encode_leaderships(all);
    auto back = decode_leaderships(bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, all);
    auto raw = bytes.to_vector();
    for (size_t n = 0; n < raw.size(); ++n) {
        EXPECT_FALSE(decode_leaderships(base::iobuf::copy_of(std::span(raw.data(), n))))
            << n;
    }
    raw.push_back(0);
    EXPECT_FALSE(decode_leaderships(base::iobuf::copy_of(raw)));
}

TEST(leader_broadcast, tells_only_what_this_node_leads_of_live_topics) {
    boost::asio::io_context io;
    leader_broadcast b(io.get_executor(), model::node_id(1),
                       [] { return std::vector<raft::node_id>{}; }, {});
    b.local_change("a", 0, {model::node_id(1), model::term_id(2)});
    b.local_change("a", 1, {model::node_id(1), model::term_id(2)});
    b.local_change("b", 0, {model::node_id(1), model::term_id(5)});
    EXPECT_EQ(b.leading(), 3u);
    // Led elsewhere now, or its topic deleted: no longer told (a deleted
    // topic's old leader would otherwise hide a new topic's of that name).
    b.local_change("a", 1, {model::node_id(2), model::term_id(3)});
    EXPECT_EQ(b.leading(), 2u);
    b.forget_topic("b");
    EXPECT_EQ(b.leading(), 1u);
}

TEST(raft_state_store, keys_name_their_group) {
    EXPECT_EQ(raft_state_store::group_of_key("raft/my-topic-7/hard_state"), "my-topic-7");
    EXPECT_FALSE(raft_state_store::group_of_key("shard_count").has_value());
    EXPECT_FALSE(raft_state_store::group_of_key("raft/no-slash").has_value());
    EXPECT_FALSE(raft_state_store::group_of_key("raft//x").has_value());
}

} // namespace cluster
