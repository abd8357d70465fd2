#include "raft/outbox.h"

#include <gtest/gtest.h>

using namespace raft;

namespace {

envelope heartbeat(int32_t from, int32_t to, int64_t term) {
    return envelope{node_id(from), node_id(to),
                    append_request{term_id(term), no_index, term_id(0), {}, no_index}};
}

} // namespace

TEST(outbox, messages_of_many_groups_leave_in_one_batch_per_peer) {
    outbox box(node_id(0));
    for (int64_t g = 0; g < 1000; ++g) {
        box.post(group_id(g), heartbeat(0, 1, g));
        box.post(group_id(g), heartbeat(0, 2, g));
    }
    auto batches = box.flush();
    ASSERT_EQ(batches.size(), 2u);
    for (const auto& b : batches) {
        EXPECT_EQ(b.from, node_id(0));
        ASSERT_EQ(b.messages.size(), 1000u);
        // In the order posted, each with its group.
        EXPECT_EQ(b.messages[7].group, group_id(7));
        EXPECT_EQ(std::get<append_request>(b.messages[7].msg).term, term_id(7));
    }
    EXPECT_EQ(batches[0].to, node_id(1));
    EXPECT_EQ(batches[1].to, node_id(2));
    EXPECT_TRUE(box.empty());
    EXPECT_TRUE(box.flush().empty());
}

TEST(outbox, a_batch_never_holds_more_than_its_bound) {
    outbox box(node_id(3), 100);
    for (int64_t g = 0; g < 250; ++g) {
        box.post(group_id(g), heartbeat(3, 4, 1));
    }
    auto batches = box.flush();
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ(batches[0].messages.size(), 100u);
    EXPECT_EQ(batches[2].messages.size(), 50u);
    EXPECT_EQ(batches[2].messages.back().group, group_id(249));
}
