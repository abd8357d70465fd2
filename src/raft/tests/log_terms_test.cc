#include "raft/log_terms.h"

#include <gtest/gtest.h>

using raft::log_index;
using raft::log_terms;
using raft::term_id;

namespace {

log_terms log_of(std::initializer_list<int64_t> terms) {
    log_terms log;
    for (auto t : terms) {
        log.append(term_id(t));
    }
    return log;
}

} // namespace

TEST(log_terms, an_empty_log_has_term_zero_before_its_first_entry) {
    log_terms log;
    EXPECT_EQ(log.last_index(), raft::no_index);
    EXPECT_EQ(log.last_term(), term_id(0));
    EXPECT_EQ(log.term_at(raft::no_index), term_id(0));
    EXPECT_FALSE(log.term_at(log_index(0)).has_value());
}

TEST(log_terms, terms_are_found_by_index_across_runs) {
    auto log = log_of({1, 1, 2, 2, 2, 5});
    EXPECT_EQ(log.last_index(), log_index(5));
    EXPECT_EQ(log.term_at(log_index(0)), term_id(1));
    EXPECT_EQ(log.term_at(log_index(1)), term_id(1));
    EXPECT_EQ(log.term_at(log_index(2)), term_id(2));
    EXPECT_EQ(log.term_at(log_index(4)), term_id(2));
    EXPECT_EQ(log.term_at(log_index(5)), term_id(5));
    EXPECT_FALSE(log.term_at(log_index(6)).has_value());
    EXPECT_EQ(log.first_index_of_run(log_index(4)), log_index(2));
    EXPECT_EQ(log.first_index_of_run(log_index(5)), log_index(5));
}

TEST(log_terms, truncation_drops_whole_and_partial_runs) {
    auto log = log_of({1, 1, 2, 2, 3});
    log.truncate(log_index(3));
    EXPECT_EQ(log.last_index(), log_index(2));
    EXPECT_EQ(log.last_term(), term_id(2));
    log.truncate(log_index(2));
    EXPECT_EQ(log.last_term(), term_id(1));
    log.append(term_id(4));
    EXPECT_EQ(log.term_at(log_index(2)), term_id(4));
    log.truncate(log_index(0));
    EXPECT_EQ(log.last_index(), raft::no_index);
    EXPECT_EQ(log.last_term(), term_id(0));
}

TEST(log_terms, an_entry_of_several_offsets_moves_the_end_by_as_many) {
    log_terms log;
    log.append(term_id(1), 3);
    log.append(term_id(2), 2);
    EXPECT_EQ(log.last_index(), log_index(4));
    EXPECT_EQ(log.term_at(log_index(2)), term_id(1));
    EXPECT_EQ(log.term_at(log_index(3)), term_id(2));
    EXPECT_EQ(log.first_index_of_run(log_index(4)), log_index(3));
}

TEST(log_terms, extending_rebuilds_the_runs_of_a_log_without_its_entries) {
    log_terms log;
    log.extend_to(term_id(0), log_index(9));
    log.extend_to(term_id(3), log_index(14));
    log.extend_to(term_id(3), log_index(20));
    log.extend_to(term_id(4), log_index(21));
    EXPECT_EQ(log.last_index(), log_index(21));
    EXPECT_EQ(log.term_at(log_index(9)), term_id(0));
    EXPECT_EQ(log.term_at(log_index(10)), term_id(3));
    EXPECT_EQ(log.term_at(log_index(20)), term_id(3));
    EXPECT_EQ(log.first_index_of_run(log_index(20)), log_index(10));
    EXPECT_EQ(log.term_at(log_index(21)), term_id(4));
    EXPECT_FALSE(log.term_at(log_index(22)).has_value());
}
