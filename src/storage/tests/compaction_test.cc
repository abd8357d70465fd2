#include "model/batch_walker.h"
#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/disk_log.h"
#include "storage/sim_file_system.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace storage {
namespace {

struct record_spec {
    std::optional<std::string> key;
    std::optional<std::string> value; // nullopt: a tombstone
    int64_t timestamp{0};
};

std::span<const uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

model::record_batch build(
    const std::vector<record_spec>& records,
    model::compression_type compression = model::compression_type::none) {
    model::record_batch_builder b;
    b.set_compression(compression);
    for (const auto& r : records) {
        model::record_data d;
        if (r.key) {
            d.key = bytes_of(*r.key);
        }
        if (r.value) {
            d.value = bytes_of(*r.value);
        }
        d.timestamp = r.timestamp;
        b.add_record(d);
    }
    return b.build();
}

struct read_record {
    model::offset offset;
    std::optional<std::string> key;
    std::optional<std::string> value;
    bool control{false};
};

std::vector<read_record> read_all(disk_log& l) {
    std::vector<read_record> out;
    auto r = l.read(l.offsets().log_start, size_t{1} << 30);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.message());
    if (!r) {
        return out;
    }
    model::batch_walker walker(r->data.share());
    while (true) {
        auto b = walker.next();
        EXPECT_TRUE(b);
        if (!b || !b->has_value()) {
            break;
        }
        auto reader = model::record_reader::open(**b, 1 << 24);
        EXPECT_TRUE(reader);
        while (true) {
            auto rec = reader->next();
            EXPECT_TRUE(rec);
            if (!rec || *rec == nullptr) {
                break;
            }
            read_record rr{(*rec)->offset, std::nullopt, std::nullopt,
                           (**b).header().is_control()};
            if ((*rec)->key) {
                rr.key = std::string((*rec)->key->begin(), (*rec)->key->end());
            }
            if ((*rec)->value) {
                rr.value = std::string((*rec)->value->begin(), (*rec)->value->end());
            }
            out.push_back(std::move(rr));
        }
    }
    return out;
}

class compaction_test : public ::testing::Test {
protected:
    compaction_test() {
        config.cleanup_compact = true;
        config.cleanup_delete = false;
        config.segment_bytes = 1024;
        config.min_cleanable_dirty_ratio = 0.0;
        config.delete_retention_ms = 10'000;
    }
    std::unique_ptr<disk_log> open_log() {
        auto l = disk_log::open(fs, dir, config, [this] { return now_ms; });
        EXPECT_TRUE(l) << (l ? "" : l.message());
        return std::move(*l);
    }
    void append(disk_log& l, const std::vector<record_spec>& records,
                model::compression_type c = model::compression_type::none) {
        auto b = build(records, c);
        ASSERT_TRUE(l.append(b, model::term_id(1)));
    }
    // Compacts until a pass has nothing left to do.
    void compact_fully(disk_log& l) {
        for (int i = 0; i < 100; ++i) {
            auto r = l.compact();
            ASSERT_TRUE(r) << r.message();
            if (!*r || l.dirty_ratio() == 0.0) {
                return;
            }
        }
        FAIL() << "compaction does not converge";
    }

    sim_file_system fs;
    std::string dir{"/p"};
    log_config config;
    int64_t now_ms{1'000'000};
};

// Random keyed workloads against a model: in the closed segments only the
// latest record of each key survives (tombstones until
// delete.retention.ms), at its own offset; the active segment is left
// alone; nothing else changes, also after a restart.
TEST_F(compaction_test, the_latest_value_per_key_survives_at_its_offset) {
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        SCOPED_TRACE(seed);
        dir = "/seed" + std::to_string(seed);
        std::mt19937_64 rng(seed);
        config.compaction_max_keys = 4 + rng() % 40; // bounded: several passes
        auto l = open_log();
        std::vector<read_record> appended;
        std::vector<int64_t> timestamps;
        int batches = 30 + static_cast<int>(rng() % 60);
        auto codecs = {model::compression_type::none, model::compression_type::gzip,
                       model::compression_type::zstd};
        for (int b = 0; b < batches; ++b) {
            std::vector<record_spec> specs;
            int n = 1 + static_cast<int>(rng() % 5);
            for (int i = 0; i < n; ++i) {
                record_spec r;
                if (rng() % 10 != 0) {
                    r.key = "key-" + std::to_string(rng() % 25);
                }
                if (rng() % 8 != 0 || !r.key) {
                    r.value = "v" + std::to_string(b) + "." + std::to_string(i)
                        + std::string(rng() % 40, 'x');
                }
                // Old records: their tombstones are past delete.retention.ms.
                r.timestamp = rng() % 3 == 0 ? now_ms - 20'000 : now_ms;
                specs.push_back(r);
            }
            auto base = l->offsets().next_offset;
            append(*l, specs, *(codecs.begin() + rng() % 3));
            for (int i = 0; i < n; ++i) {
                appended.push_back(
                    {model::offset(base() + i), specs[i].key, specs[i].value});
                timestamps.push_back(specs[i].timestamp);
            }
        }
        auto closed_end = l->active_segment_base();
        ASSERT_GT(closed_end, model::offset(0));
        compact_fully(*l);

        // The model: the last record per key below closed_end.
        std::map<std::string, model::offset> latest;
        for (const auto& r : appended) {
            if (r.key && r.offset < closed_end) {
                latest[*r.key] = r.offset;
            }
        }
        std::vector<read_record> expected;
        for (size_t i = 0; i < appended.size(); ++i) {
            const auto& r = appended[i];
            bool keep = true;
            if (r.offset < closed_end && r.key) {
                bool is_latest = latest[*r.key] == r.offset;
                bool expired_tombstone = !r.value && now_ms - timestamps[i] > 10'000;
                keep = is_latest && !expired_tombstone;
            }
            if (keep) {
                expected.push_back(r);
            }
        }
        auto check = [&](disk_log& log) {
            auto got = read_all(log);
            ASSERT_EQ(got.size(), expected.size());
            for (size_t i = 0; i < got.size(); ++i) {
                EXPECT_EQ(got[i].offset, expected[i].offset);
                EXPECT_EQ(got[i].key, expected[i].key);
                EXPECT_EQ(got[i].value, expected[i].value);
            }
            EXPECT_EQ(log.offsets().next_offset,
                      model::offset(static_cast<int64_t>(appended.size())));
        };
        check(*l);
        // Every offset still reads (from the batch holding it or the next).
        for (int64_t o = 0; o < static_cast<int64_t>(appended.size()); o += 3) {
            auto r = l->read(model::offset(o), 1);
            ASSERT_TRUE(r);
            if (r->batch_count > 0) {
                EXPECT_GE(r->last_offset, model::offset(o));
            }
        }
        l.reset();
        auto reopened = open_log();
        check(*reopened);
        // Appends go on after compaction.
        auto next = reopened->offsets().next_offset;
        auto b = build({{"k", "v", now_ms}});
        auto a = reopened->append(b, model::term_id(2));
        ASSERT_TRUE(a);
        EXPECT_EQ(a->base_offset, next);
    }
}

TEST_F(compaction_test, a_tombstone_outlives_its_key_until_delete_retention_ms) {
    auto l = open_log();
    append(*l, {{"a", "1", now_ms}, {"b", "1", now_ms}});
    append(*l, {{"a", std::nullopt, now_ms}});
    for (int i = 0; i < 30; ++i) {
        append(*l, {{"filler", std::string(100, 'f'), now_ms}}); // closes segments
    }
    compact_fully(*l);
    auto got = read_all(*l);
    ASSERT_GE(got.size(), 3u);
    EXPECT_EQ(got[0].key, "b");
    EXPECT_EQ(got[1].key, "a");
    EXPECT_FALSE(got[1].value); // the tombstone, value gone before it
    now_ms += 10'001;
    config.min_cleanable_dirty_ratio = 0.0;
    l->set_config(config);
    // A fresh pass over everything (as after a restart).
    l.reset();
    l = open_log();
    compact_fully(*l);
    got = read_all(*l);
    EXPECT_EQ(got[0].key, "b");
    for (const auto& r : got) {
        EXPECT_NE(r.key, std::optional<std::string>("a"));
    }
}

TEST_F(compaction_test, control_batches_and_keyless_records_are_kept) {
    auto l = open_log();
    append(*l, {{std::nullopt, "no key", now_ms}, {"k", "old", now_ms}});
    model::record_batch_builder control;
    control.set_control().set_producer(7, 0, -1);
    auto marker = model::transaction_marker_value(3);
    control.add_control_record(model::control_record_type::commit, marker, now_ms);
    auto cb = control.build();
    ASSERT_TRUE(l->append(cb, model::term_id(1)));
    append(*l, {{"k", "new", now_ms}});
    for (int i = 0; i < 30; ++i) {
        append(*l, {{"filler", std::string(100, 'f'), now_ms}});
    }
    compact_fully(*l);
    auto got = read_all(*l);
    ASSERT_GE(got.size(), 4u);
    EXPECT_EQ(got[0].offset, model::offset(0));
    EXPECT_FALSE(got[0].key);
    EXPECT_TRUE(got[1].control);
    EXPECT_EQ(got[1].offset, model::offset(2));
    EXPECT_EQ(got[2].key, "k");
    EXPECT_EQ(got[2].value, "new");
    EXPECT_EQ(got[2].offset, model::offset(3));
}

TEST_F(compaction_test, an_aborted_transaction_never_supersedes_a_committed_value) {
    auto l = open_log();
    append(*l, {{"k", "committed", now_ms}});
    // Producer 7's transaction writes k again, then aborts.
    model::record_batch_builder txn;
    txn.set_producer(7, 0, 0).set_transactional();
    model::record_data d;
    std::string key = "k";
    std::string value = "aborted";
    d.key = bytes_of(key);
    d.value = bytes_of(value);
    d.timestamp = now_ms;
    txn.add_record(d);
    auto tb = txn.build();
    ASSERT_TRUE(l->append(tb, model::term_id(1)));
    model::record_batch_builder abort;
    abort.set_control().set_transactional().set_producer(7, 0, -1);
    auto marker = model::transaction_marker_value(0);
    abort.add_control_record(model::control_record_type::abort, marker, now_ms);
    auto ab = abort.build();
    ASSERT_TRUE(l->append(ab, model::term_id(1)));
    for (int i = 0; i < 30; ++i) {
        append(*l, {{"filler", std::string(100, 'f'), now_ms}});
    }
    compact_fully(*l);
    auto got = read_all(*l);
    ASSERT_GE(got.size(), 2u);
    EXPECT_EQ(got[0].key, "k");
    EXPECT_EQ(got[0].value, "committed");
    EXPECT_EQ(got[0].offset, model::offset(0));
    // The aborted record is gone; its marker stays.
    EXPECT_TRUE(got[1].control);
    EXPECT_EQ(got[1].offset, model::offset(2));
}

TEST_F(compaction_test, compaction_waits_for_the_dirty_ratio_and_the_policy) {
    config.min_cleanable_dirty_ratio = 0.5;
    auto l = open_log();
    for (int i = 0; i < 40; ++i) {
        append(*l, {{"k", std::string(100, 'a' + i % 26), now_ms}});
    }
    EXPECT_EQ(l->dirty_ratio(), 1.0);
    auto first = l->compact();
    ASSERT_TRUE(first);
    EXPECT_TRUE(*first);
    EXPECT_EQ(l->dirty_ratio(), 0.0);
    auto again = l->compact();
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
    config.cleanup_compact = false;
    l->set_config(config);
    for (int i = 0; i < 40; ++i) {
        append(*l, {{"k", "x", now_ms}});
    }
    EXPECT_GT(l->dirty_ratio(), 0.5);
    EXPECT_FALSE(*l->compact());
}

TEST_F(compaction_test, nothing_past_max_offset_is_compacted) {
    auto l = open_log();
    for (int i = 0; i < 40; ++i) {
        append(*l, {{"k", std::string(100, 'a'), now_ms}});
    }
    ASSERT_TRUE(l->compact(model::offset(5)));
    auto got = read_all(*l);
    // Every record from offset 6 on is still there.
    size_t from_six = 0;
    for (const auto& r : got) {
        if (r.offset >= model::offset(6)) {
            ++from_six;
        }
    }
    EXPECT_EQ(from_six, 34u);
}

TEST_F(compaction_test, a_segment_retention_took_meanwhile_is_left_alone) {
    auto l = open_log();
    for (int i = 0; i < 40; ++i) {
        append(*l, {{"k", std::string(100, 'a'), now_ms}});
    }
    auto job = l->plan_compaction(model::offset(1000));
    auto outcome = run_compaction(fs, job);
    ASSERT_TRUE(outcome);
    // Meanwhile: more appends, and the first segment goes.
    append(*l, {{"k", "later", now_ms}});
    ASSERT_TRUE(
        l->prefix_truncate(l->plan_compaction(model::offset(1000)).segments[1].base));
    ASSERT_TRUE(l->finish_compaction(std::move(*outcome)));
    auto names = fs.list("/p");
    ASSERT_TRUE(names);
    for (const auto& n : *names) {
        EXPECT_FALSE(n.ends_with(".cleaned")) << n;
    }
    auto got = read_all(*l);
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.back().value, "later");
}

TEST_F(compaction_test, a_truncation_between_plan_and_finish_voids_the_compaction) {
    auto l = open_log();
    for (int i = 0; i < 40; ++i) {
        append(*l, {{"k", std::string(100, 'a'), now_ms}});
    }
    auto job = l->plan_compaction(model::offset(1000));
    ASSERT_GE(job.segments.size(), 3u);
    auto outcome = run_compaction(fs, job);
    ASSERT_TRUE(outcome);
    // Meanwhile Raft truncates into a compacted segment; new batches are
    // appended and the segment closes again under the same file.
    auto cut = job.segments[1].base;
    ASSERT_TRUE(l->truncate(model::offset(cut() + 1)));
    for (int i = 0; i < 30; ++i) {
        append(*l, {{"k", std::string(100, 'b'), now_ms}});
    }
    ASSERT_TRUE(l->finish_compaction(std::move(*outcome)));
    // Every batch appended after the truncation is still there.
    auto got = read_all(*l);
    size_t newer = 0;
    for (const auto& r : got) {
        if (r.value == std::string(100, 'b')) {
            ++newer;
        }
    }
    EXPECT_EQ(newer, 30u);
    EXPECT_EQ(got.back().offset, model::offset(cut() + 1 + 29));
    auto names = fs.list("/p");
    ASSERT_TRUE(names);
    for (const auto& n : *names) {
        EXPECT_FALSE(n.ends_with(".cleaned")) << n;
    }
}

TEST_F(compaction_test, a_crash_mid_compaction_leaves_the_old_segments_whole) {
    {
        auto l = open_log();
        for (int i = 0; i < 40; ++i) {
            append(*l, {{"k", std::string(100, 'a'), now_ms}});
        }
        ASSERT_TRUE(l->flush());
        auto outcome = run_compaction(fs, l->plan_compaction(model::offset(1000)));
        ASSERT_TRUE(outcome);
        // The process dies before finish_compaction.
    }
    auto l = open_log();
    auto got = read_all(*l);
    EXPECT_EQ(got.size(), 40u);
    auto names = fs.list("/p");
    for (const auto& n : *names) {
        EXPECT_FALSE(n.ends_with(".cleaned")) << n;
    }
}

} // namespace
} // namespace storage
