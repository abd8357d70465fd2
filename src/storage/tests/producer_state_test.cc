#include "model/record_batch_builder.h"
#include "storage/disk_log.h"
#include "storage/producer_snapshot.h"
#include "storage/producer_state.h"
#include "storage/sim_file_system.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>

namespace storage {
namespace {

constexpr int64_t pid = 7;

// A batch of `count` records from producer `pid` at `epoch`, first
// sequence `seq`.
model::record_batch producer_batch_of(int16_t epoch, int32_t seq, int count = 1,
                                      bool transactional = false, int64_t ts = 1000) {
    model::record_batch_builder b;
    b.set_producer(pid, epoch, seq);
    b.set_transactional(transactional);
    std::string value = "v";
    for (int i = 0; i < count; ++i) {
        model::record_data r;
        r.value = std::span(reinterpret_cast<const uint8_t*>(value.data()), value.size());
        r.timestamp = ts + i;
        b.add_record(r);
    }
    return b.build();
}

model::record_batch marker_of(int16_t epoch, bool commit, int32_t coordinator_epoch) {
    model::record_batch_builder b;
    b.set_producer(pid, epoch, model::no_sequence);
    b.set_transactional();
    b.set_control();
    auto value = model::transaction_marker_value(coordinator_epoch);
    b.add_control_record(commit ? model::control_record_type::commit
                                : model::control_record_type::abort,
                         std::span<const uint8_t>(value), 2000);
    return b.build();
}

// Applies a batch at `offset`, as an append would.
void apply_at(producer_state& s, model::record_batch b, int64_t offset) {
    b.set_base_offset(model::offset(offset));
    s.apply(b.header());
}

producer_verdict verdict_of(const producer_state& s, const model::record_batch& b) {
    return s.check(b.header()).verdict;
}

TEST(producer_state, an_unknown_producer_may_start_at_any_sequence) {
    producer_state s;
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 0)), producer_verdict::accept);
    EXPECT_EQ(verdict_of(s, producer_batch_of(3, 42)), producer_verdict::accept);
}

TEST(producer_state, the_next_sequence_is_accepted_and_a_gap_is_out_of_order) {
    producer_state s;
    apply_at(s, producer_batch_of(0, 0, 3), 0);
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 3)), producer_verdict::accept);
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 4)),
              producer_verdict::out_of_order_sequence);
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 1, 2)),
              producer_verdict::out_of_order_sequence);
    EXPECT_EQ(s.find(pid)->last_sequence(), 2);
}

TEST(producer_state, a_retry_of_any_of_the_last_five_batches_is_a_duplicate) {
    producer_state s;
    for (int i = 0; i < 6; ++i) {
        apply_at(s, producer_batch_of(0, i * 2, 2), 100 + i * 2);
    }
    // Batches 1..5 (sequences 2..11) are remembered; batch 0 is not.
    for (int i = 1; i < 6; ++i) {
        auto c = s.check(producer_batch_of(0, i * 2, 2).header());
        ASSERT_EQ(c.verdict, producer_verdict::duplicate) << i;
        EXPECT_EQ(c.original.first_offset, model::offset(100 + i * 2));
        EXPECT_EQ(c.original.last_offset, model::offset(101 + i * 2));
    }
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 0, 2)),
              producer_verdict::out_of_order_sequence);
    // Same first sequence, different length: not the same batch.
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 10, 1)),
              producer_verdict::out_of_order_sequence);
}

TEST(producer_state, an_older_epoch_is_fenced_and_a_newer_one_starts_at_zero) {
    producer_state s;
    apply_at(s, producer_batch_of(2, 0, 5), 0);
    EXPECT_EQ(verdict_of(s, producer_batch_of(1, 5)),
              producer_verdict::invalid_producer_epoch);
    // A duplicate's epoch must match too.
    EXPECT_EQ(verdict_of(s, producer_batch_of(1, 0, 5)),
              producer_verdict::invalid_producer_epoch);
    EXPECT_EQ(verdict_of(s, producer_batch_of(3, 5)),
              producer_verdict::out_of_order_sequence);
    EXPECT_EQ(verdict_of(s, producer_batch_of(3, 0)), producer_verdict::accept);
    apply_at(s, producer_batch_of(3, 0), 5);
    EXPECT_EQ(s.find(pid)->epoch, 3);
    EXPECT_EQ(s.find(pid)->batches.size(), 1u);
}

TEST(producer_state, sequences_wrap_to_zero_after_int32_max) {
    producer_state s;
    constexpr int32_t max = std::numeric_limits<int32_t>::max();
    apply_at(s, producer_batch_of(0, max - 1, 2), 0);
    EXPECT_EQ(s.find(pid)->last_sequence(), max);
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 0)), producer_verdict::accept);
    // A batch that crosses the wrap ends at a small sequence.
    auto crossing = producer_batch_of(0, max, 3);
    EXPECT_EQ(last_sequence_of(crossing.header()), 1);
}

TEST(producer_state, a_plain_batch_inside_an_open_transaction_is_refused) {
    producer_state s;
    apply_at(s, producer_batch_of(0, 0, 1, true), 10);
    EXPECT_EQ(s.find(pid)->transaction_first_offset, model::offset(10));
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 1)),
              producer_verdict::invalid_txn_state);
    EXPECT_EQ(verdict_of(s, producer_batch_of(0, 1, 1, true)), producer_verdict::accept);
    auto m = marker_of(0, true, 4);
    m.set_base_offset(model::offset(11));
    s.apply_marker(m.header(), 4, true);
    EXPECT_FALSE(s.find(pid)->transaction_first_offset);
    EXPECT_EQ(s.find(pid)->coordinator_epoch, 4);
}

TEST(producer_state, open_transactions_hold_the_stable_offset_and_aborts_are_indexed) {
    producer_state s;
    EXPECT_FALSE(s.first_unstable_offset());
    apply_at(s, producer_batch_of(0, 0, 2, true), 10);
    apply_at(s, producer_batch_of(0, 2, 1, true), 14);
    EXPECT_EQ(s.first_unstable_offset(), model::offset(10));
    auto abort = marker_of(0, false, 0);
    abort.set_base_offset(model::offset(20));
    s.apply_marker(abort.header(), 0, false);
    EXPECT_FALSE(s.first_unstable_offset());
    auto aborted = s.aborted_between(model::offset(0), model::offset(100));
    ASSERT_EQ(aborted.size(), 1u);
    EXPECT_EQ(aborted[0],
              (aborted_transaction{pid, model::offset(10), model::offset(20)}));
    EXPECT_TRUE(s.aborted_between(model::offset(21), model::offset(100)).empty());
    EXPECT_TRUE(s.aborted_between(model::offset(0), model::offset(9)).empty());
    // A committed transaction leaves no trace in the index.
    apply_at(s, producer_batch_of(0, 3, 1, true), 21);
    auto commit = marker_of(0, true, 0);
    commit.set_base_offset(model::offset(22));
    s.apply_marker(commit.header(), 0, true);
    EXPECT_EQ(s.aborted_between(model::offset(0), model::offset(100)).size(), 1u);
    auto back = producer_state::decode(s.encode());
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
    s.forget_aborted_before(model::offset(21));
    EXPECT_TRUE(s.aborted_between(model::offset(0), model::offset(100)).empty());
}

TEST(producer_state, producers_idle_past_the_expiration_go_unless_in_a_transaction) {
    producer_state s;
    apply_at(s, producer_batch_of(0, 0, 1, false, 1000), 0);
    model::record_batch_builder other;
    other.set_producer(pid + 1, 0, 0).set_transactional();
    model::record_data r;
    r.timestamp = 1000;
    other.add_record(r);
    auto b = other.build();
    b.set_base_offset(model::offset(1));
    s.apply(b.header());
    EXPECT_EQ(s.expire(1500, 1000), 0u);
    EXPECT_EQ(s.expire(2000, 1000), 1u);
    EXPECT_EQ(s.find(pid), nullptr);
    EXPECT_NE(s.find(pid + 1), nullptr);
}

TEST(producer_state, a_snapshot_decodes_to_the_same_state_and_damage_is_caught) {
    producer_state s;
    for (int i = 0; i < 7; ++i) {
        apply_at(s, producer_batch_of(1, i, 1, i == 6), i);
    }
    auto bytes = s.encode();
    auto back = producer_state::decode(bytes);
    ASSERT_TRUE(back) << back.message();
    EXPECT_EQ(*back, s);
    for (size_t at : {size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
        auto damaged = bytes;
        damaged[at] ^= 0x40;
        EXPECT_EQ(producer_state::decode(damaged).code(), errc::corrupted) << at;
    }
    bytes.resize(bytes.size() - 9);
    EXPECT_EQ(producer_state::decode(bytes).code(), errc::corrupted);
}

class producer_log_test : public ::testing::Test {
protected:
    std::unique_ptr<disk_log> open_log() {
        auto l = disk_log::open(fs, "/p", config, [] { return int64_t{5000}; });
        EXPECT_TRUE(l.has_value()) << (l ? "" : l.message());
        return std::move(*l);
    }
    void append_ok(disk_log& l, model::record_batch b) {
        auto r = l.append(b, model::term_id(1));
        ASSERT_TRUE(r) << r.message();
        ASSERT_FALSE(r->duplicate);
        ASSERT_TRUE(l.flush());
    }

    sim_file_system fs;
    log_config config;
};

TEST_F(producer_log_test, a_retried_batch_is_not_appended_and_gets_the_original_offsets) {
    auto l = open_log();
    append_ok(*l, producer_batch_of(0, 0, 3));
    auto retry = producer_batch_of(0, 0, 3);
    auto r = l->append(retry, model::term_id(1));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->duplicate);
    EXPECT_EQ(r->base_offset, model::offset(0));
    EXPECT_EQ(r->last_offset, model::offset(2));
    EXPECT_EQ(l->offsets().next_offset, model::offset(3));
    auto gap = producer_batch_of(0, 5);
    EXPECT_EQ(l->append(gap, model::term_id(1)).code(), errc::out_of_order_sequence);
    append_ok(*l, producer_batch_of(0, 3));
    EXPECT_EQ(l->offsets().next_offset, model::offset(4));
}

TEST_F(producer_log_test, state_is_rebuilt_from_the_log_after_a_crash) {
    {
        auto l = open_log();
        append_ok(*l, producer_batch_of(0, 0, 2));
        append_ok(*l, producer_batch_of(0, 2, 2));
        // No close: no snapshot, as after a crash.
        fs.power_loss();
    }
    EXPECT_TRUE(list_producer_snapshots(fs, "/p")->empty());
    auto l = open_log();
    ASSERT_NE(l->producers().find(pid), nullptr);
    EXPECT_EQ(l->producers().find(pid)->last_sequence(), 3);
    auto retry = producer_batch_of(0, 2, 2);
    auto r = l->append(retry, model::term_id(1));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->duplicate);
    EXPECT_EQ(r->base_offset, model::offset(2));
}

TEST_F(producer_log_test, segment_rolls_and_a_clean_close_leave_snapshots_recovery_uses) {
    config.segment_bytes = 200;
    producer_state before;
    {
        auto l = open_log();
        for (int i = 0; i < 10; ++i) {
            append_ok(*l, producer_batch_of(0, i));
        }
        ASSERT_GT(l->offsets().segment_count, 2u);
        before = l->producers();
        ASSERT_TRUE(l->close());
    }
    auto snapshots = list_producer_snapshots(fs, "/p");
    ASSERT_TRUE(snapshots);
    // The newest two are kept: the last roll's and the close's (at the end).
    ASSERT_EQ(snapshots->size(), 2u);
    EXPECT_EQ(snapshots->back(), model::offset(10));
    auto l = open_log();
    EXPECT_EQ(l->producers(), before);
}

TEST_F(producer_log_test,
       a_damaged_newest_snapshot_gives_way_to_an_older_one_and_replay) {
    config.segment_bytes = 200;
    producer_state before;
    {
        auto l = open_log();
        for (int i = 0; i < 10; ++i) {
            append_ok(*l, producer_batch_of(0, i));
        }
        before = l->producers();
        ASSERT_TRUE(l->close());
    }
    auto snapshots = list_producer_snapshots(fs, "/p");
    ASSERT_TRUE(snapshots && snapshots->size() == 2);
    auto path = fmt::format("/p/{:020}.snapshot", snapshots->back()());
    auto f = fs.open(path, open_mode::existing);
    ASSERT_TRUE(f);
    ASSERT_TRUE((*f)->write_at(0, base::iobuf::copy_of(std::string_view("garbage!"))));
    auto l = open_log();
    EXPECT_EQ(l->producers(), before);
    EXPECT_EQ(list_producer_snapshots(fs, "/p")->size(), 1u);
}

TEST_F(producer_log_test, truncation_rebuilds_the_state_of_what_is_left) {
    auto l = open_log();
    append_ok(*l, producer_batch_of(0, 0, 2));
    append_ok(*l, producer_batch_of(0, 2, 2));
    ASSERT_TRUE(l->truncate(model::offset(2)));
    EXPECT_EQ(l->producers().find(pid)->last_sequence(), 1);
    append_ok(*l, producer_batch_of(0, 2, 2));
}

} // namespace
} // namespace storage
