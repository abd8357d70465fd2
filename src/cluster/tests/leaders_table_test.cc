#include "cluster/leaders_table.h"
#include "cluster/raft_state_store.h"

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

TEST(raft_state_store, keys_name_their_group) {
    EXPECT_EQ(raft_state_store::group_of_key("raft/my-topic-7/hard_state"), "my-topic-7");
    EXPECT_FALSE(raft_state_store::group_of_key("shard_count").has_value());
    EXPECT_FALSE(raft_state_store::group_of_key("raft/no-slash").has_value());
    EXPECT_FALSE(raft_state_store::group_of_key("raft//x").has_value());
}

} // namespace cluster
