#include "raft/wire.h"

#include <gtest/gtest.h>

using namespace raft;
using raft::log_index;

namespace {

batch sample() {
    batch b{node_id(1), node_id(2), {}};
    b.messages.push_back(
        {group_id(7), vote_request{term_id(3), log_index(10), term_id(2), true, false}});
    b.messages.push_back({group_id(8), vote_reply{term_id(3), true, false}});
    std::vector<entry> entries;
    entries.push_back(
        entry{term_id(3), entry_type::data, base::iobuf::copy_of("abc"), 3});
    entries.push_back(
        entry{term_id(3), entry_type::configuration,
              encode_configuration({{node_id(1), node_id(2)}, {node_id(5)}}), 1});
    b.messages.push_back({group_id(-1),
                          append_request{term_id(3), log_index(9), term_id(2),
                                         std::move(entries), log_index(8)}});
    b.messages.push_back(
        {group_id(9),
         append_reply{term_id(4), true, log_index(12), log_index(11), no_index}});
    b.messages.push_back({group_id(10), timeout_now{term_id(5)}});
    return b;
}

bool same(const message& a, const message& b) {
    if (a.index() != b.index()) {
        return false;
    }
    if (const auto* x = std::get_if<append_request>(&a)) {
        const auto& y = std::get<append_request>(b);
        return x->term == y.term && x->prev_index == y.prev_index
            && x->prev_term == y.prev_term && x->commit == y.commit
            && x->entries == y.entries;
    }
    if (const auto* x = std::get_if<vote_request>(&a)) {
        const auto& y = std::get<vote_request>(b);
        return x->term == y.term && x->last_index == y.last_index
            && x->last_term == y.last_term && x->pre_vote == y.pre_vote
            && x->transfer == y.transfer;
    }
    if (const auto* x = std::get_if<vote_reply>(&a)) {
        const auto& y = std::get<vote_reply>(b);
        return x->term == y.term && x->granted == y.granted && x->pre_vote == y.pre_vote;
    }
    if (const auto* x = std::get_if<append_reply>(&a)) {
        const auto& y = std::get<append_reply>(b);
        return x->term == y.term && x->success == y.success
            && x->last_index == y.last_index && x->flushed == y.flushed
            && x->hint == y.hint;
    }
    return std::get<timeout_now>(a).term == std::get<timeout_now>(b).term;
}

} // namespace

TEST(raft_wire, a_batch_of_every_message_round_trips) {
    auto b = sample();
    auto decoded = decode_batch(encode_batch(b));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->from, node_id(1));
    EXPECT_EQ(decoded->to, node_id(2));
    ASSERT_EQ(decoded->messages.size(), b.messages.size());
    for (size_t i = 0; i < b.messages.size(); ++i) {
        EXPECT_EQ(decoded->messages[i].group, b.messages[i].group);
        EXPECT_TRUE(same(decoded->messages[i].msg, b.messages[i].msg)) << i;
    }
}

TEST(raft_wire, a_cut_or_padded_batch_is_refused) {
    auto bytes = encode_batch(sample()).to_vector();
    for (size_t n = 0; n < bytes.size(); ++n) {
        auto cut = base::iobuf::copy_of(std::span<const uint8_t>(bytes.data(), n));
        EXPECT_FALSE(decode_batch(cut).has_value()) << n;
    }
    bytes.push_back(0);
    EXPECT_FALSE(decode_batch(base::iobuf::copy_of(bytes)).has_value());
}

TEST(raft_wire, counts_beyond_the_bytes_are_refused_without_allocating_them) {
    batch b{node_id(1), node_id(2), {}};
    auto bytes = encode_batch(b).to_vector();
    bytes[8] = 0xFF; // a message count of billions
    EXPECT_FALSE(decode_batch(base::iobuf::copy_of(bytes)).has_value());
}
