#include "model/batch_walker.h"
#include "model/record.h"
#include "storage/disk_log.h"
#include "storage/sim_file_system.h"
#include "storage/tests/test_batches.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace storage {
namespace {

using testing::make_batch;

std::unique_ptr<disk_log> must_open(file_system& fs, const log_config& config,
                                    const std::string& dir = "/p") {
    auto l = disk_log::open(fs, dir, config, [] { return int64_t{1'000'000}; });
    EXPECT_TRUE(l.has_value()) << (l ? "" : l.message());
    return l ? std::move(*l) : nullptr;
}

std::vector<std::vector<uint8_t>> all_batches(disk_log& l) {
    std::vector<std::vector<uint8_t>> out;
    auto r = l.read(l.offsets().log_start, size_t{1} << 30);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.message());
    if (!r) {
        return out;
    }
    model::batch_walker walker(r->data.share());
    while (true) {
        auto b = walker.next();
        EXPECT_TRUE(b.has_value());
        if (!b || !b->has_value()) {
            break;
        }
        out.push_back((*b)->data().to_vector());
    }
    return out;
}

class recovery_test : public ::testing::Test {
protected:
    // Appends `n` two-record batches and flushes; returns the sizes.
    void fill(int n) {
        auto l = must_open(fs, config);
        for (int i = 0; i < n; ++i) {
            auto b = make_batch(2);
            ASSERT_TRUE(l->append(b, model::term_id(1)));
            batch_bytes = b.size_bytes();
        }
        ASSERT_TRUE(l->flush());
    }

    sim_file_system fs;
    log_config config;
    size_t batch_bytes{0};
};

TEST_F(recovery_test, a_batch_cut_short_at_the_tail_is_truncated_and_offsets_continue) {
    fill(10);
    auto& bytes = fs.bytes_of("/p/00000000000000000000.log");
    bytes.resize(bytes.size() - batch_bytes / 2);
    auto l = must_open(fs, config);
    EXPECT_EQ(l->offsets().next_offset, model::offset(18));
    EXPECT_FALSE(l->corrupted_at());
    EXPECT_EQ(all_batches(*l).size(), 9u);
    auto b = make_batch(2);
    auto r = l->append(b, model::term_id(1));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->base_offset, model::offset(18));
}

TEST_F(recovery_test, a_flipped_byte_in_the_tail_batch_truncates_from_that_batch) {
    fill(10);
    auto& bytes = fs.bytes_of("/p/00000000000000000000.log");
    bytes[bytes.size() - batch_bytes - 5] ^= 0x40; // inside the 9th batch
    auto l = must_open(fs, config);
    EXPECT_EQ(l->offsets().next_offset, model::offset(16));
    EXPECT_EQ(all_batches(*l).size(), 8u);
}

TEST_F(recovery_test, a_segment_of_garbage_lengths_is_truncated_not_read_past) {
    fill(3);
    auto& bytes = fs.bytes_of("/p/00000000000000000000.log");
    // A torn write may leave a length field that promises gigabytes.
    std::vector<uint8_t> junk(40, 0x7f);
    bytes.insert(bytes.end(), junk.begin(), junk.end());
    auto l = must_open(fs, config);
    EXPECT_EQ(l->offsets().next_offset, model::offset(6));
    EXPECT_EQ(fs.bytes_of("/p/00000000000000000000.log").size(), 3 * batch_bytes);
}

TEST_F(recovery_test, corruption_in_a_closed_segment_is_reported_and_not_served_past) {
    config.segment_bytes = 1024;
    fill(40);
    {
        auto l = must_open(fs, config);
        ASSERT_GT(l->offsets().segment_count, 3u);
        ASSERT_TRUE(l->close());
    }
    auto names = fs.list("/p");
    ASSERT_TRUE(names);
    std::vector<std::string> logs;
    for (const auto& n : *names) {
        if (n.ends_with(".log")) {
            logs.push_back(n);
        }
    }
    std::sort(logs.begin(), logs.end());
    std::string victim = "/p/" + logs[1];
    auto& bytes = fs.bytes_of(victim);
    bytes[bytes.size() / 2] ^= 0x01;

    // With its index intact, the damage is found when a read reaches it.
    auto l = must_open(fs, config);
    auto end = l->offsets().next_offset;
    EXPECT_EQ(end, model::offset(80)); // nothing was truncated
    auto r = l->read(model::offset(0), size_t{1} << 30);
    ASSERT_TRUE(r); // stops before the damaged batch...
    auto first_bad = model::offset(r->last_offset() + 1);
    auto past = l->read(first_bad, 1 << 20);
    ASSERT_FALSE(past); // ...which is reported, not skipped
    EXPECT_EQ(past.code(), errc::corrupted);
    ASSERT_TRUE(l->corrupted_at());
    EXPECT_LE(*l->corrupted_at(), first_bad);
    EXPECT_EQ(l->read(model::offset(70), 1 << 20).code(), errc::corrupted);
    auto b = make_batch(1);
    EXPECT_EQ(l->append(b, model::term_id(1)).code(), errc::corrupted);
    l.reset();

    // Without its index, the rebuild scan finds it at open.
    ASSERT_TRUE(fs.remove(victim.substr(0, victim.size() - 4) + ".index"));
    auto reopened = must_open(fs, config);
    ASSERT_TRUE(reopened->corrupted_at());
    EXPECT_EQ(reopened->offsets().next_offset, model::offset(80));
    EXPECT_EQ(reopened->read(model::offset(78), 1 << 20).code(), errc::corrupted);
    auto good = reopened->read(model::offset(0), 1 << 20);
    ASSERT_TRUE(good);
    EXPECT_LT(good->last_offset, *reopened->corrupted_at());
    // A Raft follower truncating below the damage gets a usable log back.
    ASSERT_TRUE(reopened->truncate(model::offset(good->first_offset())));
    EXPECT_FALSE(reopened->corrupted_at());
    EXPECT_TRUE(reopened->append(b, model::term_id(2)));
}

// POWER_LOSS_SEEDS widens the search when hunting for a bug.
uint64_t power_loss_seeds() {
    const char* env = std::getenv("POWER_LOSS_SEEDS");
    return env ? std::stoull(env) : 300;
}

// Random appends, flushes, truncations and log-start moves, then a power
// cut that drops or tears everything unsynced. After recovery: every
// flushed batch is there byte for byte, everything else there is whole
// and was really appended, the epochs match the batches, and appends go
// on from the recovered end.
TEST(power_loss, flushed_batches_survive_and_nothing_unflushed_is_half_visible) {
    for (uint64_t seed = 1; seed <= power_loss_seeds(); ++seed) {
        SCOPED_TRACE(seed);
        std::mt19937_64 rng(seed);
        sim_file_system fs(seed);
        log_config config;
        config.segment_bytes = 512 + rng() % 4096;
        config.index_interval_bytes = 64 + rng() % 512;

        struct stored {
            std::vector<uint8_t> bytes;
            model::offset base;
            model::offset last;
            model::term_id term;
        };
        std::vector<stored> model_batches;
        size_t flushed = 0;
        model::offset log_start(0);
        int64_t term = 1;
        auto l = must_open(fs, config);
        int ops = 20 + static_cast<int>(rng() % 150);
        for (int op = 0; op < ops; ++op) {
            int dice = static_cast<int>(rng() % 100);
            if (dice < 70) {
                if (rng() % 10 == 0) {
                    ++term;
                }
                auto b = make_batch(1 + static_cast<int>(rng() % 4),
                                    "s" + std::to_string(op), op, rng() % 200);
                auto r = l->append(b, model::term_id(term));
                ASSERT_TRUE(r);
                model_batches.push_back({b.data().to_vector(), r->base_offset,
                                         r->last_offset, model::term_id(term)});
            } else if (dice < 85) {
                ASSERT_TRUE(l->flush());
                flushed = model_batches.size();
            } else if (dice < 92 && !model_batches.empty()) {
                size_t k = rng() % model_batches.size();
                if (model_batches[k].base < log_start) {
                    continue;
                }
                ASSERT_TRUE(l->truncate(model_batches[k].base));
                model_batches.resize(k);
                flushed = std::min(flushed, k);
            } else if (dice < 95 && !model_batches.empty()) {
                auto end = model_batches.back().last() + 1;
                auto to = model::offset(
                    log_start() + static_cast<int64_t>(rng() % (end - log_start() + 1)));
                ASSERT_TRUE(l->prefix_truncate(to));
                log_start = std::max(log_start, to);
            } else {
                l.reset();
                l = must_open(fs, config);
                ASSERT_TRUE(l);
                // Reopening makes what survived durable.
                flushed = model_batches.size();
            }
        }
        l.reset();
        fs.power_loss();
        l = must_open(fs, config);
        ASSERT_TRUE(l);
        ASSERT_FALSE(l->corrupted_at());
        EXPECT_EQ(l->offsets().log_start, log_start);

        auto recovered = all_batches(*l);
        // The model's batches a reader from log_start sees.
        size_t first = 0;
        while (first < model_batches.size() && model_batches[first].last < log_start) {
            ++first;
        }
        size_t must_have = flushed > first ? flushed - first : 0;
        ASSERT_GE(recovered.size(), must_have);
        ASSERT_LE(recovered.size(), model_batches.size() - first);
        for (size_t i = 0; i < recovered.size(); ++i) {
            ASSERT_EQ(recovered[i], model_batches[first + i].bytes) << "batch " << i;
        }
        model::offset end = recovered.empty()
            ? std::max(log_start,
                       first < model_batches.size() ? model_batches[first].base
                                                    : log_start)
            : model::offset(model_batches[first + recovered.size() - 1].last() + 1);
        if (recovered.empty() && model_batches.size() > first) {
            // Nothing of the first batch survived; the log ends where it began.
            EXPECT_LE(l->offsets().next_offset, model_batches[first].base);
        } else {
            EXPECT_EQ(l->offsets().next_offset, end);
        }

        epoch_map expected;
        for (size_t i = 0; i < first + recovered.size(); ++i) {
            expected.observe(model_batches[i].term, model_batches[i].base);
        }
        expected.advance_start(log_start);
        if (recovered.empty() && l->epochs().entries().empty()) {
            // A log empty from its start on: the entry that covered the
            // start goes with a truncation to it, as in Kafka.
        } else {
            EXPECT_EQ(l->epochs().entries(), expected.entries());
        }

        auto next = l->offsets().next_offset;
        auto b = make_batch(1);
        auto r = l->append(b, model::term_id(term + 1));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->base_offset, next);
    }
}

// A child process appends as fast as it can and is killed with SIGKILL at
// a random moment, many times over one directory. The page cache survives
// a kill, so nothing is lost but a write cut mid-way; every batch must be
// whole, and offsets must run on without gaps or reuse: each record's
// value is its own offset.
TEST(process_kill, killed_writers_leave_whole_batches_and_gapless_offsets) {
    char tmpl[] = "/tmp/atoll-kill-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    std::string dir = std::string(tmpl) + "/p";
    log_config config;
    config.segment_bytes = 256 * 1024;
    std::mt19937_64 rng(42);
    int64_t verified_end = 0;
    // At least 25 kills, and on until the writers got past offset 1,000:
    // on a loaded machine (a sanitizer build, a compile alongside) a child
    // may be killed before it has written anything. 200 at most.
    for (int round = 0; round < 200 && (round < 25 || verified_end <= 1000); ++round) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            auto l = disk_log::open(posix_file_system(), dir, config, system_clock_ms());
            if (!l) {
                ::_exit(3);
            }
            for (int i = 0;; ++i) {
                int64_t next = (*l)->offsets().next_offset();
                model::record_batch_builder builder;
                int count = 1 + i % 5;
                std::vector<std::string> values;
                for (int j = 0; j < count; ++j) {
                    values.push_back(std::to_string(next + j)
                                     + std::string(100 * (i % 7), 'x'));
                }
                for (const auto& v : values) {
                    model::record_data r;
                    r.value =
                        std::span(reinterpret_cast<const uint8_t*>(v.data()), v.size());
                    r.timestamp = i;
                    builder.add_record(r);
                }
                auto b = builder.build();
                if (!(*l)->append(b, model::term_id(round + 1))) {
                    ::_exit(4);
                }
                if (i % 50 == 0 && !(*l)->flush()) {
                    ::_exit(5);
                }
            }
        }
        ::usleep(static_cast<useconds_t>(2000 + rng() % 30000));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);

        auto l = must_open(posix_file_system(), config, dir);
        ASSERT_TRUE(l);
        ASSERT_FALSE(l->corrupted_at());
        ASSERT_GE(l->offsets().next_offset(), verified_end);
        auto r = l->read(model::offset(verified_end), size_t{1} << 30);
        ASSERT_TRUE(r);
        model::batch_walker walker(r->data.share());
        int64_t expect = verified_end;
        while (true) {
            auto b = walker.next();
            ASSERT_TRUE(b);
            if (!b->has_value()) {
                break;
            }
            auto reader = model::record_reader::open(**b, 1 << 20);
            ASSERT_TRUE(reader);
            while (true) {
                auto rec = reader->next();
                ASSERT_TRUE(rec);
                if (*rec == nullptr) {
                    break;
                }
                ASSERT_EQ((*rec)->offset(), expect);
                std::string value((*rec)->value->begin(), (*rec)->value->end());
                ASSERT_EQ(std::stoll(value), expect);
                ++expect;
            }
        }
        ASSERT_EQ(walker.partial_bytes(), 0u);
        ASSERT_EQ(expect, l->offsets().next_offset());
        verified_end = expect;
    }
    EXPECT_GT(verified_end, 1000);
    std::filesystem::remove_all(tmpl);
}

} // namespace
} // namespace storage
