#include "storage/disk_log.h"
#include "storage/sim_file_system.h"
#include "storage/tests/test_batches.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace storage {
namespace {

using testing::make_batch;

class disk_log_test : public ::testing::Test {
protected:
    std::unique_ptr<disk_log> open_log() {
        auto l = disk_log::open(fs, "/p", config, [this] { return now_ms; });
        EXPECT_TRUE(l.has_value()) << (l ? "" : l.message());
        return std::move(*l);
    }

    append_result append(disk_log& l, int records, int64_t term = 1, int64_t ts = 1000) {
        auto b = make_batch(records, "k", ts);
        auto r = l.append(b, model::term_id(term));
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.message());
        return *r;
    }

    sim_file_system fs;
    log_config config;
    int64_t now_ms{1'000'000};
};

TEST_F(disk_log_test, an_empty_log_starts_at_zero_and_reads_nothing) {
    auto l = open_log();
    auto o = l->offsets();
    EXPECT_EQ(o.log_start, model::offset(0));
    EXPECT_EQ(o.next_offset, model::offset(0));
    EXPECT_EQ(o.segment_count, 1u);
    auto r = l->read(model::offset(0), 1 << 20);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->batch_count, 0u);
    EXPECT_EQ(l->read(model::offset(1), 1 << 20).code(), errc::offset_out_of_range);
}

TEST_F(disk_log_test, appends_get_consecutive_offsets_and_read_back_byte_for_byte) {
    auto l = open_log();
    auto b1 = make_batch(3, "a");
    auto b2 = make_batch(5, "b");
    auto expected1 = b1.data().to_vector();
    auto r1 = l->append(b1, model::term_id(7));
    auto r2 = l->append(b2, model::term_id(7));
    ASSERT_TRUE(r1 && r2);
    EXPECT_EQ(r1->base_offset, model::offset(0));
    EXPECT_EQ(r1->last_offset, model::offset(2));
    EXPECT_EQ(r2->base_offset, model::offset(3));
    EXPECT_EQ(r2->last_offset, model::offset(7));
    EXPECT_EQ(l->offsets().next_offset, model::offset(8));

    auto r = l->read(model::offset(0), 1 << 20);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->batch_count, 2u);
    EXPECT_EQ(r->first_offset, model::offset(0));
    EXPECT_EQ(r->last_offset, model::offset(7));
    EXPECT_EQ(r->data.size_bytes(), b1.size_bytes() + b2.size_bytes());
    // The stored batch is the appended one with offset and term stamped.
    auto first = model::parse_record_batch(r->data.share(0, b1.size_bytes()));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->leader_epoch(), model::term_id(7));
    EXPECT_EQ(first->base_offset(), model::offset(0));
    EXPECT_EQ(r->data.share(0, b1.size_bytes()).to_vector(), b1.data().to_vector());
    EXPECT_EQ(expected1.size(), b1.size_bytes());
}

TEST_F(disk_log_test, a_read_returns_one_whole_batch_even_over_the_budget) {
    auto l = open_log();
    append(*l, 10);
    auto r = l->read(model::offset(0), 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->batch_count, 1u);
    auto strict = l->read(model::offset(0), 1, model::offset(100), false);
    ASSERT_TRUE(strict);
    EXPECT_EQ(strict->batch_count, 0u);
}

TEST_F(disk_log_test, a_read_stops_at_batch_boundaries_within_the_budget) {
    auto l = open_log();
    for (int i = 0; i < 10; ++i) {
        append(*l, 2);
    }
    auto one = make_batch(2, "k");
    size_t batch_bytes = one.size_bytes();
    auto r = l->read(model::offset(0), batch_bytes * 3 + batch_bytes / 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->batch_count, 3u);
    EXPECT_EQ(r->last_offset, model::offset(5));
    auto capped = l->read(model::offset(0), 1 << 20, model::offset(4));
    ASSERT_TRUE(capped);
    EXPECT_EQ(capped->last_offset, model::offset(5)); // the batch holding 4
    EXPECT_EQ(capped->batch_count, 3u);
}

TEST_F(disk_log_test, a_read_never_skips_a_batch_that_did_not_fit_for_a_later_one) {
    // A medium batch and a big one fill the first segment; the next ones
    // start with a tiny batch. A budget the big one overflows must end the
    // read there, not go on with the next segment's tiny one (a gap in
    // what the reader gets).
    auto medium = make_batch(1, "m", 1000, 100);
    size_t medium_bytes = medium.size_bytes();
    config.segment_bytes = medium_bytes + make_batch(1, "b", 1000, 1000).size_bytes();
    auto l = open_log();
    ASSERT_TRUE(l->append(medium, model::term_id(1)));
    for (int i = 0; i < 6; ++i) {
        auto big = make_batch(1, "b", 1000, 1000);
        auto tiny = make_batch(1, "t", 1000, 1);
        ASSERT_TRUE(l->append(big, model::term_id(1)));
        ASSERT_TRUE(l->append(tiny, model::term_id(1)));
    }
    ASSERT_GT(l->offsets().segment_count, 3u);
    auto tiny_bytes = make_batch(1, "t", 1000, 1).size_bytes();
    auto r = l->read(model::offset(0), medium_bytes + tiny_bytes + 5);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->batch_count, 1u);
    EXPECT_EQ(r->last_offset, model::offset(0));
    EXPECT_EQ(r->data.size_bytes(), medium_bytes);
}

TEST_F(disk_log_test, a_read_from_inside_a_batch_starts_with_that_batch) {
    auto l = open_log();
    append(*l, 4);
    append(*l, 4);
    auto r = l->read(model::offset(6), 1 << 20);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first_offset, model::offset(4));
    EXPECT_EQ(r->batch_count, 1u);
    auto at_end = l->read(model::offset(8), 1 << 20);
    ASSERT_TRUE(at_end);
    EXPECT_EQ(at_end->batch_count, 0u);
}

TEST_F(disk_log_test, segments_roll_by_size_and_reads_cross_them) {
    config.segment_bytes = 4096;
    config.index_interval_bytes = 512;
    auto l = open_log();
    for (int i = 0; i < 200; ++i) {
        append(*l, 3);
    }
    auto o = l->offsets();
    EXPECT_GT(o.segment_count, 5u);
    EXPECT_EQ(o.next_offset, model::offset(600));
    // Every offset reads back from its own batch, wherever its segment.
    for (int64_t off = 0; off < 600; off += 7) {
        auto r = l->read(model::offset(off), 1);
        ASSERT_TRUE(r) << off;
        ASSERT_EQ(r->batch_count, 1u);
        EXPECT_EQ(r->first_offset, model::offset(off - off % 3));
    }
    auto all = l->read(model::offset(0), 1 << 30);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->batch_count, 200u);
    EXPECT_EQ(all->last_offset, model::offset(599));
}

TEST_F(disk_log_test, a_segment_older_than_segment_ms_rolls_on_the_next_append) {
    config.segment_ms = 1000;
    auto l = open_log();
    append(*l, 1);
    append(*l, 1);
    EXPECT_EQ(l->offsets().segment_count, 1u);
    now_ms += 1000;
    append(*l, 1);
    EXPECT_EQ(l->offsets().segment_count, 2u);
}

TEST_F(disk_log_test, a_reopened_log_keeps_every_batch_and_continues_its_offsets) {
    config.segment_bytes = 2048;
    {
        auto l = open_log();
        for (int i = 0; i < 50; ++i) {
            append(*l, 2);
        }
        ASSERT_TRUE(l->close());
    }
    auto l = open_log();
    EXPECT_EQ(l->offsets().next_offset, model::offset(100));
    EXPECT_EQ(append(*l, 1).base_offset, model::offset(100));
    auto all = l->read(model::offset(0), 1 << 30);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->batch_count, 51u);
}

TEST_F(disk_log_test, missing_or_stale_index_files_are_rebuilt) {
    config.segment_bytes = 2048;
    config.index_interval_bytes = 256;
    {
        auto l = open_log();
        for (int i = 0; i < 60; ++i) {
            append(*l, 2, 1, 1000 + i * 10);
        }
        ASSERT_TRUE(l->close());
    }
    auto names = fs.list("/p");
    ASSERT_TRUE(names);
    std::vector<std::string> indexes;
    for (const auto& n : *names) {
        if (n.ends_with(".index")) {
            indexes.push_back("/p/" + n);
        }
    }
    std::sort(indexes.begin(), indexes.end());
    ASSERT_GE(indexes.size(), 3u);
    auto timeindex = [](const std::string& index) {
        return index.substr(0, index.size() - 6) + ".timeindex";
    };
    // One segment without its offset index, another with a torn time
    // index, a third with the (intact) index of another segment: stale.
    ASSERT_TRUE(fs.remove(indexes[0]));
    fs.bytes_of(timeindex(indexes[1]))[5] ^= 0xff;
    fs.bytes_of(indexes[2]) = fs.bytes_of(indexes[1]);
    auto l = open_log();
    for (int64_t off = 0; off < 120; off += 5) {
        auto r = l->read(model::offset(off), 1);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->first_offset, model::offset(off - off % 2));
    }
    auto t = l->timequery(1000 + 33 * 10);
    ASSERT_TRUE(t);
    ASSERT_TRUE(t->has_value());
    EXPECT_EQ((*t)->offset, model::offset(66));
}

TEST_F(disk_log_test, timequery_finds_the_first_record_at_or_after_the_timestamp) {
    config.segment_bytes = 1024;
    auto l = open_log();
    // Batch i holds records with timestamps 100*i, 100*i + 1, 100*i + 2.
    for (int i = 0; i < 40; ++i) {
        append(*l, 3, 1, 100 * i);
    }
    auto exact = l->timequery(100 * 17 + 1);
    ASSERT_TRUE(exact && exact->has_value());
    EXPECT_EQ((*exact)->offset, model::offset(17 * 3 + 1));
    EXPECT_EQ((*exact)->timestamp, 100 * 17 + 1);
    auto between = l->timequery(100 * 20 + 50);
    ASSERT_TRUE(between && between->has_value());
    EXPECT_EQ((*between)->offset, model::offset(21 * 3));
    auto before_all = l->timequery(-5);
    ASSERT_TRUE(before_all && before_all->has_value());
    EXPECT_EQ((*before_all)->offset, model::offset(0));
    auto after_all = l->timequery(100 * 40);
    ASSERT_TRUE(after_all);
    EXPECT_FALSE(after_all->has_value());
    auto max = l->max_timestamp();
    ASSERT_TRUE(max);
    EXPECT_EQ(max->timestamp, 100 * 39 + 2);
    EXPECT_EQ(max->offset, model::offset(39 * 3));
}

TEST_F(disk_log_test,
       truncation_removes_the_suffix_across_segments_and_offsets_continue) {
    config.segment_bytes = 1024;
    auto l = open_log();
    for (int i = 0; i < 60; ++i) {
        append(*l, 2, i < 30 ? 1 : 2);
    }
    auto before = l->offsets();
    ASSERT_TRUE(l->truncate(model::offset(40)));
    auto after = l->offsets();
    EXPECT_EQ(after.next_offset, model::offset(40));
    EXPECT_LT(after.segment_count, before.segment_count);
    EXPECT_EQ(l->epochs().latest(), model::term_id(1));
    auto b = append(*l, 2, 3);
    EXPECT_EQ(b.base_offset, model::offset(40));
    ASSERT_EQ(l->epochs().entries().size(), 2u);
    EXPECT_EQ(l->epochs().entries()[1].start, model::offset(40));
    // The same after a restart.
    ASSERT_TRUE(l->close());
    l.reset();
    auto again = open_log();
    EXPECT_EQ(again->offsets().next_offset, model::offset(42));
    auto e = again->epochs().end_offset_for(model::term_id(2), model::offset(42));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->epoch, model::term_id(1)); // no batch of term 2 is left
    EXPECT_EQ(e->end, model::offset(40));
}

TEST_F(disk_log_test, a_batch_of_an_older_epoch_is_refused) {
    auto l = open_log();
    append(*l, 2, 5);
    auto b = make_batch(1);
    auto r = l->append(b, model::term_id(4));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::invalid_argument);
    EXPECT_EQ(l->offsets().next_offset, model::offset(2));
    EXPECT_TRUE(l->append(b, model::term_id(5)));
}

TEST_F(disk_log_test,
       after_a_failed_fdatasync_the_log_takes_no_more_writes_until_reopened) {
    auto l = open_log();
    append(*l, 2);
    fs.fail_datasyncs(1);
    auto f = l->flush();
    ASSERT_FALSE(f);
    EXPECT_EQ(f.code(), errc::io_error);
    // The kernel may have dropped the pages: a retry must not succeed.
    EXPECT_EQ(l->flush().code(), errc::io_error);
    auto b = make_batch(1);
    EXPECT_EQ(l->append(b, model::term_id(1)).code(), errc::io_error);
    EXPECT_EQ(l->offsets().flushed_offset, model::offset(0));
    l.reset();
    auto reopened = open_log();
    EXPECT_TRUE(reopened->append(b, model::term_id(1)));
}

TEST_F(disk_log_test, truncation_inside_a_batch_is_refused) {
    auto l = open_log();
    append(*l, 4);
    EXPECT_EQ(l->truncate(model::offset(2)).code(), errc::invalid_argument);
    EXPECT_EQ(l->offsets().next_offset, model::offset(4));
    EXPECT_TRUE(l->truncate(model::offset(0)));
    EXPECT_EQ(l->offsets().next_offset, model::offset(0));
}

TEST_F(disk_log_test, moving_the_log_start_deletes_whole_segments_and_survives_restart) {
    config.segment_bytes = 1024;
    auto l = open_log();
    for (int i = 0; i < 50; ++i) {
        append(*l, 2);
    }
    auto before = l->offsets();
    ASSERT_TRUE(l->prefix_truncate(model::offset(51)));
    auto after = l->offsets();
    EXPECT_EQ(after.log_start, model::offset(51));
    EXPECT_LT(after.segment_count, before.segment_count);
    EXPECT_EQ(l->read(model::offset(50), 100).code(), errc::offset_out_of_range);
    auto r = l->read(model::offset(51), 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first_offset, model::offset(50)); // the batch holding 51
    l.reset();
    auto again = open_log();
    EXPECT_EQ(again->offsets().log_start, model::offset(51));
    ASSERT_TRUE(again->prefix_truncate(model::offset(100)));
    EXPECT_EQ(again->offsets().log_start, model::offset(100));
    EXPECT_EQ(again->offsets().segment_count, 1u);
    EXPECT_EQ(append(*again, 1).base_offset, model::offset(100));
    EXPECT_EQ(again->prefix_truncate(model::offset(102)).code(),
              errc::offset_out_of_range);
}

TEST_F(disk_log_test, the_epoch_map_answers_offset_for_leader_epoch) {
    config.segment_bytes = 1024;
    auto l = open_log();
    for (int i = 0; i < 30; ++i) {
        append(*l, 2, i < 10 ? 1 : (i < 20 ? 3 : 5));
    }
    auto check = [](const disk_log& log) {
        const auto& e = log.epochs();
        ASSERT_EQ(e.entries().size(), 3u);
        auto at = [&](int64_t epoch) {
            return e.end_offset_for(model::term_id(epoch), model::offset(60));
        };
        // Older than all: that epoch, ending where the first began.
        EXPECT_EQ(at(0)->epoch, model::term_id(0));
        EXPECT_EQ(at(0)->end, model::offset(0));
        EXPECT_EQ(at(1)->end, model::offset(20));
        EXPECT_EQ(at(2)->epoch, model::term_id(1));
        EXPECT_EQ(at(2)->end, model::offset(20));
        EXPECT_EQ(at(3)->end, model::offset(40));
        EXPECT_EQ(at(4)->epoch, model::term_id(3));
        EXPECT_EQ(at(5)->end, model::offset(60));
        // Newer than the latest, or negative: undefined, as in Kafka.
        EXPECT_FALSE(at(9).has_value());
        EXPECT_FALSE(at(-1).has_value());
    };
    check(*l);
    // Closed segments' epochs come from partition.meta, the active one's
    // from the recovery scan: without close(), as after a crash.
    ASSERT_TRUE(l->flush());
    l.reset();
    auto again = open_log();
    check(*again);
}

TEST_F(disk_log_test, retention_by_bytes_keeps_the_newest_segments) {
    config.segment_bytes = 1024;
    config.retention_bytes = 3000;
    auto l = open_log();
    for (int i = 0; i < 60; ++i) {
        append(*l, 2);
    }
    auto removed = l->apply_retention(1000);
    ASSERT_TRUE(removed);
    EXPECT_GT(*removed, 0u);
    auto o = l->offsets();
    EXPECT_GE(o.size_bytes, 3000u - 1024u);
    EXPECT_LE(o.size_bytes, 3000u + 1024u);
    EXPECT_GT(o.log_start, model::offset(0));
    EXPECT_EQ(l->read(model::offset(0), 1).code(), errc::offset_out_of_range);
    EXPECT_TRUE(l->read(o.log_start, 1));
}

TEST_F(disk_log_test, retention_by_time_removes_old_segments_a_bounded_number_at_a_time) {
    config.segment_bytes = 1024;
    config.retention_ms = 10'000;
    auto l = open_log();
    for (int i = 0; i < 40; ++i) {
        append(*l, 2, 1, i < 20 ? now_ms - 50'000 : now_ms);
    }
    auto first = l->apply_retention(2);
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, 2u);
    auto rest = l->apply_retention(1000);
    ASSERT_TRUE(rest);
    auto o = l->offsets();
    // Every old batch is gone, every recent one kept.
    EXPECT_LE(o.log_start, model::offset(40));
    EXPECT_TRUE(l->read(o.log_start, 1));
    EXPECT_GE(o.log_start, model::offset(30));
    config.cleanup_delete = false;
    l->set_config(config);
    EXPECT_EQ(*l->apply_retention(1000), 0u);
}

TEST_F(disk_log_test, a_flush_makes_everything_appended_durable) {
    auto l = open_log();
    append(*l, 3);
    EXPECT_EQ(l->offsets().flushed_offset, model::offset(0));
    auto syncs = fs.datasync_count();
    ASSERT_TRUE(l->flush());
    EXPECT_EQ(l->offsets().flushed_offset, model::offset(3));
    EXPECT_EQ(fs.datasync_count(), syncs + 1);
    ASSERT_TRUE(l->flush()); // nothing new: no fdatasync
    EXPECT_EQ(fs.datasync_count(), syncs + 1);
}

TEST_F(disk_log_test, a_flush_plan_completes_what_it_covered_unless_truncated_since) {
    auto l = open_log();
    append(*l, 3);
    auto plan = l->prepare_flush();
    ASSERT_EQ(plan.files.size(), 1u);
    append(*l, 2);
    for (auto& f : plan.files) {
        ASSERT_TRUE(f.log->datasync());
    }
    l->complete_flush(plan);
    EXPECT_EQ(l->offsets().flushed_offset, model::offset(3));
    auto second = l->prepare_flush();
    ASSERT_TRUE(l->truncate(model::offset(3)));
    l->complete_flush(second);
    EXPECT_EQ(l->offsets().flushed_offset, model::offset(3));
}

TEST_F(disk_log_test,
       an_append_on_a_full_disk_fails_cleanly_and_succeeds_once_space_returns) {
    auto l = open_log();
    for (int i = 0; i < 5; ++i) {
        append(*l, 2);
    }
    ASSERT_TRUE(l->flush());
    auto before = l->read(model::offset(0), 1 << 20);
    ASSERT_TRUE(before);
    fs.set_capacity(fs.used_bytes() + 30); // less than a batch
    auto b = make_batch(2);
    auto failed = l->append(b, model::term_id(1));
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.code(), errc::no_space);
    EXPECT_EQ(l->offsets().next_offset, model::offset(10));
    auto during = l->read(model::offset(0), 1 << 20);
    ASSERT_TRUE(during);
    EXPECT_EQ(during->data.to_vector(), before->data.to_vector());
    fs.set_capacity(std::nullopt);
    EXPECT_EQ(append(*l, 2).base_offset, model::offset(10));
    l.reset();
    auto again = open_log();
    EXPECT_EQ(again->offsets().next_offset, model::offset(12));
}

TEST_F(disk_log_test,
       the_directory_holds_segments_indexes_and_meta_with_kafka_like_names) {
    config.segment_bytes = 1024;
    auto l = open_log();
    for (int i = 0; i < 20; ++i) {
        append(*l, 2);
    }
    ASSERT_TRUE(l->close());
    auto names = fs.list("/p");
    ASSERT_TRUE(names);
    EXPECT_TRUE(fs.exists("/p/00000000000000000000.log"));
    EXPECT_TRUE(fs.exists("/p/00000000000000000000.index"));
    EXPECT_TRUE(fs.exists("/p/00000000000000000000.timeindex"));
    EXPECT_TRUE(fs.exists("/p/partition.meta"));
}

} // namespace
} // namespace storage
