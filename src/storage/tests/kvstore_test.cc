#include "storage/kvstore.h"

#include "base/logger.h"
#include "storage/sim_file_system.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace storage {
namespace {

using model = std::map<std::string, std::string>;
using durability = kvstore::durability;

const std::string dir = "/data/kv";

std::string log_path() {
    return join_path(dir, std::string(kvstore::log_file_name));
}

std::string snapshot_path() {
    return join_path(dir, std::string(kvstore::snapshot_file_name));
}

kvstore::options with_threshold(size_t bytes) {
    kvstore::options o;
    o.snapshot_threshold_bytes = bytes;
    return o;
}

testing::AssertionResult is_ok(const result<void>& r) {
    if (r) {
        return testing::AssertionSuccess();
    }
    return testing::AssertionFailure() << to_string(r.code()) << ": " << r.message();
}

// The error code, or nullopt on success (a test must not assert-fail on a
// result that unexpectedly succeeded).
std::optional<errc> error_of(const result<void>& r) {
    return r ? std::nullopt : std::optional<errc>(r.code());
}

std::unique_ptr<kvstore> open_store(file_system& fs,
                                    kvstore::options o = kvstore::options{}) {
    auto r = kvstore::open(fs, dir, o);
    if (!r) {
        ADD_FAILURE() << "open failed: " << to_string(r.code()) << ": " << r.message();
        return nullptr;
    }
    return std::move(*r);
}

model contents(const kvstore& store) {
    model m;
    store.for_each("", [&](std::string_view k, std::string_view v) {
        m.emplace(std::string(k), std::string(v));
    });
    return m;
}

void apply_to(model& m, const std::vector<kvstore::mutation>& batch) {
    for (const auto& mu : batch) {
        if (mu.value) {
            m[mu.key] = *mu.value;
        } else {
            m.erase(mu.key);
        }
    }
}

// Passes every call through to a sim_file_system but fails, with io_error,
// the file operations a predicate picks: a failed fdatasync, or a crash at
// an exact point (fail, then power_loss()).
class faulty_file_system final : public file_system {
public:
    using predicate = std::function<bool(const std::string& path, std::string_view op)>;

    explicit faulty_file_system(sim_file_system& inner)
      : _inner(inner) {}

    void fail_when(predicate p) { _fail = std::move(p); }
    result<void> maybe_fail(const std::string& path, std::string_view op) const {
        if (_fail && _fail(path, op)) {
            return base::make_error(errc::io_error,
                                    fmt::format("injected {} {}", op, path));
        }
        return base::ok;
    }

    result<std::shared_ptr<file>> open(const std::string& path, open_mode mode) override;
    result<void> make_directories(const std::string& p) override {
        return _inner.make_directories(p);
    }
    result<std::vector<std::string>> list(const std::string& d) override {
        return _inner.list(d);
    }
    result<void> remove(const std::string& p) override { return _inner.remove(p); }
    result<void> remove_directory(const std::string& d) override {
        return _inner.remove_directory(d);
    }
    result<void> rename(const std::string& from, const std::string& to) override {
        return _inner.rename(from, to);
    }
    result<void> sync_directory(const std::string& d) override {
        return _inner.sync_directory(d);
    }
    bool exists(const std::string& p) override { return _inner.exists(p); }

private:
    sim_file_system& _inner;
    predicate _fail;
};

class faulty_file final : public file {
public:
    faulty_file(const faulty_file_system& fs, std::shared_ptr<file> inner,
                std::string path)
      : _fs(fs)
      , _inner(std::move(inner))
      , _path(std::move(path)) {}

    result<void> write_at(uint64_t pos, const base::iobuf& data) override {
        if (auto r = _fs.maybe_fail(_path, "write"); !r) {
            return r;
        }
        return _inner->write_at(pos, data);
    }
    result<base::iobuf> read_at(uint64_t pos, size_t len) override {
        return _inner->read_at(pos, len);
    }
    result<void> truncate(uint64_t size) override {
        if (auto r = _fs.maybe_fail(_path, "truncate"); !r) {
            return r;
        }
        return _inner->truncate(size);
    }
    result<void> datasync() override {
        if (auto r = _fs.maybe_fail(_path, "datasync"); !r) {
            return r;
        }
        return _inner->datasync();
    }
    result<uint64_t> size() override { return _inner->size(); }

private:
    const faulty_file_system& _fs;
    std::shared_ptr<file> _inner;
    std::string _path;
};

result<std::shared_ptr<file>> faulty_file_system::open(const std::string& path,
                                                       open_mode mode) {
    auto f = _inner.open(path, mode);
    if (!f) {
        return f;
    }
    return std::shared_ptr<file>(std::make_shared<faulty_file>(*this, *f, path));
}

// Quiets the logger for tests that provoke many expected warnings.
struct quiet_log {
    quiet_log()
      : _was(base::current_log_level()) {
        base::set_log_level(base::log_level::error);
    }
    ~quiet_log() { base::set_log_level(_was); }
    base::log_level _was;
};

TEST(kvstore, put_then_get_returns_the_value_and_remove_deletes_it) {
    sim_file_system fs;
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->get("term"), std::nullopt);
    ASSERT_TRUE(is_ok(store->put("term", "7")));
    ASSERT_TRUE(is_ok(store->put("voted_for", std::string("\0\1\2", 3))));
    EXPECT_EQ(store->get("term"), "7");
    EXPECT_EQ(store->get("voted_for"), std::string("\0\1\2", 3));
    ASSERT_TRUE(is_ok(store->put("term", "8")));
    EXPECT_EQ(store->get("term"), "8");
    EXPECT_EQ(store->size(), 2u);
    ASSERT_TRUE(is_ok(store->remove("term")));
    EXPECT_EQ(store->get("term"), std::nullopt);
    ASSERT_TRUE(is_ok(store->remove("never_there")));
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->last_sequence(), 5u);
}

TEST(kvstore, apply_applies_every_mutation_of_the_batch_in_order) {
    sim_file_system fs;
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    ASSERT_TRUE(is_ok(store->put("gone", "x")));
    ASSERT_TRUE(is_ok(store->apply({{"a", "1"},
                                    {"b", "2"},
                                    {"a", std::nullopt},
                                    {"gone", std::nullopt},
                                    {"c", "3"},
                                    {"b", "22"}})));
    EXPECT_EQ(contents(*store), (model{{"b", "22"}, {"c", "3"}}));
    // One batch is one log entry, with one sequence number.
    EXPECT_EQ(store->last_sequence(), 2u);
}

TEST(kvstore, for_each_visits_the_keys_with_the_prefix_in_key_order) {
    sim_file_system fs;
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    for (std::string k : {"abd", "b", "ab", "a", "abc", "aa", ""}) {
        ASSERT_TRUE(is_ok(store->put(k, "v" + k, durability::none)));
    }
    std::vector<std::string> seen;
    store->for_each("ab", [&](std::string_view k, std::string_view v) {
        EXPECT_EQ(v, "v" + std::string(k));
        seen.emplace_back(k);
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"ab", "abc", "abd"}));
    seen.clear();
    store->for_each("",
                    [&](std::string_view k, std::string_view) { seen.emplace_back(k); });
    EXPECT_EQ(seen, (std::vector<std::string>{"", "a", "aa", "ab", "abc", "abd", "b"}));
    seen.clear();
    store->for_each("c",
                    [&](std::string_view k, std::string_view) { seen.emplace_back(k); });
    EXPECT_TRUE(seen.empty());
}

TEST(kvstore, reopen_keeps_every_mutation_and_the_sequence) {
    sim_file_system fs;
    model expected;
    {
        auto store = open_store(fs);
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("a", "1")));
        ASSERT_TRUE(is_ok(store->put("b", "2", durability::none)));
        ASSERT_TRUE(is_ok(store->apply({{"c", "3"}, {"a", std::nullopt}})));
        ASSERT_TRUE(is_ok(store->remove("zz", durability::none)));
        ASSERT_TRUE(is_ok(store->put("d", std::string(5000, 'd'))));
        expected = contents(*store);
    }
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), expected);
    EXPECT_EQ(store->last_sequence(), 5u);
    ASSERT_TRUE(is_ok(store->put("e", "5")));
    EXPECT_EQ(store->last_sequence(), 6u);
}

TEST(kvstore, sync_durability_fdatasyncs_and_none_does_not) {
    sim_file_system fs;
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    auto before = fs.datasync_count();
    ASSERT_TRUE(is_ok(store->put("a", "1", durability::none)));
    ASSERT_TRUE(is_ok(store->remove("a", durability::none)));
    EXPECT_EQ(fs.datasync_count(), before);
    ASSERT_TRUE(is_ok(store->sync()));
    EXPECT_EQ(fs.datasync_count(), before + 1);
    // Nothing new to make durable: no fdatasync.
    ASSERT_TRUE(is_ok(store->sync()));
    EXPECT_EQ(fs.datasync_count(), before + 1);
    ASSERT_TRUE(is_ok(store->put("b", "2")));
    EXPECT_EQ(fs.datasync_count(), before + 2);
}

TEST(kvstore, synced_mutations_survive_power_loss) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
        sim_file_system fs(seed);
        auto store = open_store(fs);
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("a", "1")));
        ASSERT_TRUE(is_ok(store->put("b", "2", durability::none)));
        ASSERT_TRUE(is_ok(store->apply({{"c", "3"}, {"b", std::nullopt}})));
        // Unsynced mutations made durable by an explicit sync().
        ASSERT_TRUE(is_ok(store->put("d", "4", durability::none)));
        ASSERT_TRUE(is_ok(store->put("e", "5", durability::none)));
        ASSERT_TRUE(is_ok(store->sync()));
        auto expected = contents(*store);
        fs.power_loss();
        store = open_store(fs);
        ASSERT_TRUE(store);
        EXPECT_EQ(contents(*store), expected) << "seed " << seed;
    }
}

TEST(kvstore, log_past_the_threshold_is_snapshotted_and_reset) {
    sim_file_system fs;
    model expected;
    {
        auto store = open_store(fs, with_threshold(300));
        ASSERT_TRUE(store);
        for (int i = 0; i < 40; ++i) {
            auto k = fmt::format("key{}", i % 13);
            ASSERT_TRUE(is_ok(store->put(k, std::string(i, 'x'))));
            if (i % 5 == 0) {
                ASSERT_TRUE(is_ok(store->remove(fmt::format("key{}", i % 7))));
            }
            // The log never keeps more than the threshold plus one entry.
            EXPECT_LE(fs.bytes_of(log_path()).size(), 300u + 100u);
        }
        expected = contents(*store);
        EXPECT_TRUE(fs.exists(snapshot_path()));
    }
    auto store = open_store(fs, with_threshold(300));
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), expected);
    EXPECT_EQ(store->last_sequence(), 48u);
    // And after a power loss: the snapshot and the log reset were durable.
    fs.power_loss();
    store = open_store(fs, with_threshold(300));
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), expected);
}

TEST(kvstore, crash_between_snapshot_and_log_reset_loses_nothing) {
    quiet_log quiet;
    for (uint64_t seed = 0; seed < 20; ++seed) {
        sim_file_system sim(seed);
        faulty_file_system fs(sim);
        model expected;
        {
            auto store = open_store(fs, with_threshold(250));
            ASSERT_TRUE(store);
            // The crash comes where the log would be emptied.
            fs.fail_when([](const std::string& path, std::string_view op) {
                return path == log_path() && op == "truncate";
            });
            // Unsynced: after the power loss only the snapshot holds them all.
            result<void> r = base::ok;
            for (int i = 0; r && i < 100; ++i) {
                r = store->put(fmt::format("k{}", i), std::string(20, 'a' + i % 26),
                               durability::none);
                expected = contents(*store);
            }
            ASSERT_FALSE(r) << "no snapshot was attempted";
            EXPECT_EQ(r.code(), errc::io_error);
            // The store refuses writes until it is reopened.
            EXPECT_EQ(error_of(store->put("late", "x")), errc::io_error);
            EXPECT_TRUE(sim.exists(snapshot_path()));
            EXPECT_GT(sim.bytes_of(log_path()).size(), 250u);
        }
        fs.fail_when(nullptr);
        sim.power_loss();
        auto store = open_store(fs, with_threshold(250));
        ASSERT_TRUE(store);
        EXPECT_EQ(contents(*store), expected) << "seed " << seed;
        // The stale entries are gone and new ones chain onto the snapshot.
        EXPECT_EQ(sim.bytes_of(log_path()).size(), 0u);
        ASSERT_TRUE(is_ok(store->put("after", "crash")));
        expected["after"] = "crash";
        store = open_store(fs, with_threshold(250));
        ASSERT_TRUE(store);
        EXPECT_EQ(contents(*store), expected) << "seed " << seed;
    }
}

TEST(kvstore, stale_log_entries_the_snapshot_covers_are_skipped_on_replay) {
    // The log as it was just before a reset, back beside the snapshot that
    // covers it, followed by entries appended after that snapshot: replay
    // must skip the covered ones, not apply them twice (a removed key would
    // come back).
    sim_file_system fs;
    model expected;
    {
        auto store = open_store(fs, with_threshold(1 << 20));
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("resurrect", "me")));
        ASSERT_TRUE(is_ok(store->put("x", "1")));
    }
    auto stale_log = fs.bytes_of(log_path());
    {
        // A tiny threshold: the next mutation snapshots and resets the log.
        auto store = open_store(fs, with_threshold(1));
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->remove("resurrect")));
        EXPECT_EQ(fs.bytes_of(log_path()).size(), 0u);
        expected = contents(*store);
    }
    // Put back the stale entries: the log now holds 1..2 while the snapshot
    // covers 1..3.
    fs.bytes_of(log_path()) = stale_log;
    auto store = open_store(fs, with_threshold(1 << 20));
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), expected);
    EXPECT_EQ(store->last_sequence(), 3u);
}

TEST(kvstore, log_entries_missing_after_the_snapshot_are_reported_as_corrupted) {
    sim_file_system fs;
    std::vector<uint8_t> old_snapshot;
    {
        auto store = open_store(fs, with_threshold(200));
        ASSERT_TRUE(store);
        for (int i = 0; i < 60; ++i) {
            ASSERT_TRUE(is_ok(store->put(fmt::format("k{}", i), std::string(30, 'v'))));
            if (old_snapshot.empty() && fs.exists(snapshot_path())) {
                old_snapshot = fs.bytes_of(snapshot_path());
            }
        }
        // Right after any snapshot, so the log cannot be empty.
        ASSERT_TRUE(is_ok(store->put("tail", "t")));
        ASSERT_GT(fs.bytes_of(log_path()).size(), 0u);
    }
    ASSERT_FALSE(old_snapshot.empty());
    // An older snapshot with a newer log: the entries between are lost.
    fs.bytes_of(snapshot_path()) = old_snapshot;
    auto r = kvstore::open(fs, dir, with_threshold(200));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::corrupted);
    EXPECT_NE(r.message().find("snapshot ends at"), std::string::npos) << r.message();
}

TEST(kvstore, valid_entries_out_of_sequence_are_reported_as_corrupted) {
    sim_file_system fs;
    std::vector<size_t> ends{0};
    {
        auto store = open_store(fs);
        ASSERT_TRUE(store);
        for (int i = 0; i < 3; ++i) {
            ASSERT_TRUE(is_ok(store->put(fmt::format("k{}", i), "v")));
            ends.push_back(fs.bytes_of(log_path()).size());
        }
    }
    const auto whole = fs.bytes_of(log_path());
    auto entry = [&](size_t i) {
        return std::vector<uint8_t>(whole.begin() + ends[i], whole.begin() + ends[i + 1]);
    };
    // Entry 2 missing, and entry 2 twice: each entry's CRC holds, the chain
    // of sequence numbers does not, which no crash can cause.
    std::vector<std::vector<uint8_t>> logs;
    logs.push_back(entry(0));
    logs.back().insert(logs.back().end(), whole.begin() + ends[2], whole.end());
    logs.push_back(whole);
    auto second = entry(1);
    logs.back().insert(logs.back().end(), second.begin(), second.end());
    for (const auto& log : logs) {
        fs.bytes_of(log_path()) = log;
        auto r = kvstore::open(fs, dir, kvstore::options{});
        ASSERT_FALSE(r);
        EXPECT_EQ(r.code(), errc::corrupted);
        EXPECT_NE(r.message().find("has sequence"), std::string::npos) << r.message();
    }
}

TEST(kvstore, reopen_after_a_process_crash_makes_the_recovered_state_durable) {
    // A process crash leaves unsynced entries in the page cache, where the
    // next open reads them: from then on they are served, so they must
    // survive a later power loss too.
    for (uint64_t seed = 0; seed < 20; ++seed) {
        sim_file_system fs(seed);
        auto store = open_store(fs);
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("a", "1")));
        ASSERT_TRUE(is_ok(store->put("b", "2", durability::none)));
        ASSERT_TRUE(is_ok(store->put("c", "3", durability::none)));
        store = open_store(fs);
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("d", "4", durability::none)));
        fs.power_loss();
        store = open_store(fs);
        ASSERT_TRUE(store) << "seed " << seed;
        EXPECT_EQ(store->get("b"), "2") << "seed " << seed;
        EXPECT_EQ(store->get("c"), "3") << "seed " << seed;
    }
}

TEST(kvstore, torn_tail_is_truncated_and_the_entries_before_it_kept) {
    quiet_log quiet;
    sim_file_system fs;
    size_t good_bytes = 0;
    size_t full_bytes = 0;
    {
        auto store = open_store(fs);
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("a", "1")));
        ASSERT_TRUE(is_ok(store->apply({{"b", "2"}, {"c", "3"}})));
        good_bytes = fs.bytes_of(log_path()).size();
        ASSERT_TRUE(is_ok(store->apply({{"d", "4"}, {"a", std::nullopt}})));
        full_bytes = fs.bytes_of(log_path()).size();
    }
    const auto whole = fs.bytes_of(log_path());
    const model before_tail{{"a", "1"}, {"b", "2"}, {"c", "3"}};
    // Every length of a partly written last entry, and a whole one with
    // garbage in it.
    for (size_t cut = good_bytes; cut <= full_bytes; ++cut) {
        auto torn = whole;
        torn.resize(cut);
        if (cut == full_bytes) {
            torn[full_bytes - 3] ^= 0x40;
        }
        fs.bytes_of(log_path()) = torn;
        auto store = open_store(fs);
        ASSERT_TRUE(store) << "cut " << cut;
        EXPECT_EQ(contents(*store), before_tail) << "cut " << cut;
        EXPECT_EQ(fs.bytes_of(log_path()).size(), good_bytes) << "cut " << cut;
        // Appending after the truncation point reads back.
        ASSERT_TRUE(is_ok(store->put("e", "5")));
        store = open_store(fs);
        ASSERT_TRUE(store);
        EXPECT_EQ(store->get("e"), "5");
        EXPECT_EQ(store->size(), 4u);
    }
}

TEST(kvstore, damaged_unsynced_entry_followed_by_valid_unsynced_ones_is_a_torn_tail) {
    // The page cache may write back a later unsynced entry and not an
    // earlier one: no entry vouches for the damaged one, so it and what
    // follows were never durable, and are dropped.
    quiet_log quiet;
    sim_file_system fs;
    size_t synced_bytes = 0;
    {
        auto store = open_store(fs);
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("a", "1")));
        synced_bytes = fs.bytes_of(log_path()).size();
        ASSERT_TRUE(is_ok(store->put("b", "2", durability::none)));
        ASSERT_TRUE(is_ok(store->put("c", "3", durability::none)));
        ASSERT_TRUE(is_ok(store->put("d", "4", durability::none)));
    }
    fs.bytes_of(log_path())[synced_bytes + 2] ^= 0x01;
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), (model{{"a", "1"}}));
    EXPECT_EQ(fs.bytes_of(log_path()).size(), synced_bytes);
}

TEST(kvstore, damaged_entry_that_a_later_entry_vouches_was_synced_is_corrupted) {
    sim_file_system fs;
    size_t b_start = 0;
    size_t b_end = 0;
    {
        auto store = open_store(fs);
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("a", "1")));
        b_start = fs.bytes_of(log_path()).size();
        ASSERT_TRUE(is_ok(store->apply({{"b", "2"}, {"bb", "22"}})));
        b_end = fs.bytes_of(log_path()).size();
        // Written after b was synced, even if not synced itself.
        ASSERT_TRUE(is_ok(store->put("c", "3", durability::none)));
    }
    const auto whole = fs.bytes_of(log_path());
    // Any byte of the entry: header (CRC, length, sequence) or payload.
    for (size_t i = b_start; i < b_end; ++i) {
        auto damaged = whole;
        damaged[i] ^= 0x10;
        fs.bytes_of(log_path()) = damaged;
        auto r = kvstore::open(fs, dir, kvstore::options{});
        ASSERT_FALSE(r) << "byte " << i;
        EXPECT_EQ(r.code(), errc::corrupted) << "byte " << i;
        EXPECT_NE(r.message().find("bad entry at offset"), std::string::npos)
            << r.message();
        // Nothing was truncated away.
        EXPECT_EQ(fs.bytes_of(log_path()), damaged);
    }
}

TEST(kvstore, flipped_byte_in_the_snapshot_is_reported_as_corrupted) {
    sim_file_system fs;
    {
        auto store = open_store(fs, with_threshold(1));
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("term", "3")));
        ASSERT_TRUE(is_ok(store->put("voted_for", "2")));
    }
    ASSERT_TRUE(fs.exists(snapshot_path()));
    const auto whole = fs.bytes_of(snapshot_path());
    for (size_t i = 0; i < whole.size(); ++i) {
        auto damaged = whole;
        damaged[i] ^= 0x04;
        fs.bytes_of(snapshot_path()) = damaged;
        auto r = kvstore::open(fs, dir, with_threshold(1));
        ASSERT_FALSE(r) << "byte " << i;
        EXPECT_EQ(r.code(), errc::corrupted) << "byte " << i;
        EXPECT_NE(r.message().find("snapshot"), std::string::npos) << r.message();
    }
    // A snapshot cut short is corrupted too, not an empty store.
    fs.bytes_of(snapshot_path()).resize(10);
    auto r = kvstore::open(fs, dir, with_threshold(1));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::corrupted);
    // The intact one opens.
    fs.bytes_of(snapshot_path()) = whole;
    auto store = open_store(fs, with_threshold(1));
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), (model{{"term", "3"}, {"voted_for", "2"}}));
}

TEST(kvstore, leftover_temporary_files_are_removed_at_open) {
    sim_file_system fs;
    auto tmp = snapshot_path() + ".tmp";
    {
        auto f = fs.open(tmp, open_mode::create);
        ASSERT_TRUE(f);
        ASSERT_TRUE(is_ok((*f)->write_at(0, base::iobuf::copy_of("half a snapshot"))));
    }
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    EXPECT_FALSE(fs.exists(tmp));
    EXPECT_EQ(store->size(), 0u);
}

TEST(kvstore, full_disk_write_fails_with_no_space_and_leaves_the_store_as_it_was) {
    sim_file_system fs;
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    ASSERT_TRUE(is_ok(store->put("a", "1")));
    ASSERT_TRUE(is_ok(store->put("b", "2", durability::none)));
    const auto log_before = fs.bytes_of(log_path());
    const auto used_before = fs.used_bytes();
    fs.set_capacity(used_before + 10);
    for (auto d : {durability::sync, durability::none}) {
        auto r = store->put("big", std::string(1000, 'x'), d);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.code(), errc::no_space);
        r = store->apply(
            {{"c", "3"}, {"a", std::nullopt}, {"big2", std::string(100, 'y')}}, d);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.code(), errc::no_space);
    }
    EXPECT_EQ(contents(*store), (model{{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(fs.bytes_of(log_path()), log_before);
    EXPECT_EQ(fs.used_bytes(), used_before);
    // Space returns: writes succeed, and the failed ones never show up.
    fs.set_capacity(std::nullopt);
    ASSERT_TRUE(is_ok(store->put("c", "3")));
    store = open_store(fs);
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), (model{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
    fs.power_loss();
    store = open_store(fs);
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), (model{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
}

TEST(kvstore, full_disk_during_a_snapshot_keeps_the_log_and_retries_later) {
    quiet_log quiet;
    sim_file_system fs;
    {
        auto store = open_store(fs);
        ASSERT_TRUE(store);
        ASSERT_TRUE(is_ok(store->put("big", std::string(3000, 'b'))));
    }
    // The log is now past the threshold: the next mutation snapshots.
    auto store = open_store(fs, with_threshold(100));
    ASSERT_TRUE(store);
    // Room for a small entry, not for a snapshot of the big value.
    fs.set_capacity(fs.used_bytes() + 200);
    ASSERT_TRUE(is_ok(store->put("small", "s")));
    EXPECT_FALSE(fs.exists(snapshot_path()));
    EXPECT_FALSE(fs.exists(snapshot_path() + ".tmp"));
    EXPECT_EQ(store->get("small"), "s");
    fs.set_capacity(std::nullopt);
    for (int i = 0; i < 10 && !fs.exists(snapshot_path()); ++i) {
        ASSERT_TRUE(is_ok(store->put(fmt::format("k{}", i), "v")));
    }
    EXPECT_TRUE(fs.exists(snapshot_path()));
    EXPECT_LT(fs.bytes_of(log_path()).size(), 100u);
    auto expected = contents(*store);
    fs.power_loss();
    store = open_store(fs, with_threshold(100));
    ASSERT_TRUE(store);
    EXPECT_EQ(contents(*store), expected);
    EXPECT_EQ(store->get("big"), std::string(3000, 'b'));
}

TEST(kvstore, failed_fdatasync_makes_the_store_refuse_writes_until_reopened) {
    quiet_log quiet;
    sim_file_system sim;
    faulty_file_system fs(sim);
    auto store = open_store(fs);
    ASSERT_TRUE(store);
    ASSERT_TRUE(is_ok(store->put("a", "1")));
    fs.fail_when(
        [](const std::string&, std::string_view op) { return op == "datasync"; });
    auto r = store->put("b", "2");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::io_error);
    fs.fail_when(nullptr);
    // Even with the disk healthy again: what the log holds is unknown.
    r = store->put("c", "3");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::io_error);
    EXPECT_NE(r.message().find("reopen"), std::string::npos) << r.message();
    EXPECT_EQ(store->get("a"), "1");
    store = open_store(fs);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->get("a"), "1");
    EXPECT_EQ(store->get("c"), std::nullopt);
    ASSERT_TRUE(is_ok(store->put("c", "3")));
}

TEST(kvstore, oversized_key_value_or_batch_is_rejected_with_invalid_argument) {
    sim_file_system fs;
    kvstore::options o;
    o.key_bytes_max = 8;
    o.value_bytes_max = 16;
    o.entry_bytes_max = 64;
    auto store = open_store(fs, o);
    ASSERT_TRUE(store);
    // At the limits: accepted.
    ASSERT_TRUE(is_ok(store->put(std::string(8, 'k'), std::string(16, 'v'))));
    const auto log_before = fs.bytes_of(log_path());
    EXPECT_EQ(error_of(store->put(std::string(9, 'k'), "v")), errc::invalid_argument);
    EXPECT_EQ(error_of(store->remove(std::string(9, 'k'))), errc::invalid_argument);
    EXPECT_EQ(error_of(store->put("k", std::string(17, 'v'))), errc::invalid_argument);
    // Each mutation fits, the batch does not; none of it is applied.
    std::vector<kvstore::mutation> batch;
    for (int i = 0; i < 4; ++i) {
        batch.push_back({fmt::format("key{}", i), std::string(16, 'v')});
    }
    EXPECT_EQ(error_of(store->apply(batch)), errc::invalid_argument);
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(fs.bytes_of(log_path()), log_before);
    batch.pop_back();
    batch.pop_back();
    ASSERT_TRUE(is_ok(store->apply(batch)));
    EXPECT_EQ(store->size(), 3u);
}

// Random mutations, power losses and full disks against a model: after
// each power loss the store holds exactly what was durable plus a prefix of
// the unsynced entries (each entry, one apply() batch included, whole or
// absent).
TEST(kvstore, random_mutations_and_power_losses_keep_every_synced_mutation) {
    quiet_log quiet;
    int partial_survivals = 0;
    int snapshots = 0;
    int full_disk_failures = 0;
    for (uint64_t seed = 0; seed < 300; ++seed) {
        sim_file_system fs(seed);
        std::mt19937_64 rng(seed * 7919 + 1);
        auto pick = [&](uint64_t n) { return rng() % n; };
        auto opts = with_threshold(64 + pick(2000));
        auto store = open_store(fs, opts);
        ASSERT_TRUE(store);
        model durable;
        model current;
        std::vector<std::vector<kvstore::mutation>> pending;
        auto random_value = [&] {
            size_t len = pick(10) == 0 ? 200 + pick(1500) : pick(40);
            return std::string(len, static_cast<char>('a' + pick(26)));
        };
        for (int round = 0; round < 8; ++round) {
            int ops = static_cast<int>(pick(40));
            for (int op = 0; op < ops; ++op) {
                if (pick(20) == 0) {
                    fs.set_capacity(fs.used_bytes() + pick(300));
                } else if (pick(10) == 0) {
                    fs.set_capacity(std::nullopt);
                }
                auto d = pick(3) == 0 ? durability::sync : durability::none;
                std::vector<kvstore::mutation> batch;
                result<void> r = base::ok;
                uint64_t kind = pick(10);
                if (kind < 5) {
                    batch.push_back({fmt::format("k{}", pick(16)), random_value()});
                    r = store->put(batch[0].key, *batch[0].value, d);
                } else if (kind < 7) {
                    batch.push_back({fmt::format("k{}", pick(16)), std::nullopt});
                    r = store->remove(batch[0].key, d);
                } else if (kind < 9) {
                    for (uint64_t n = 1 + pick(4); n > 0; --n) {
                        auto key = fmt::format("k{}", pick(16));
                        if (pick(3) == 0) {
                            batch.push_back({key, std::nullopt});
                        } else {
                            batch.push_back({key, random_value()});
                        }
                    }
                    r = store->apply(batch, d);
                } else {
                    d = durability::sync;
                    r = store->sync();
                }
                if (!r) {
                    ASSERT_EQ(r.code(), errc::no_space) << r.message();
                    ++full_disk_failures;
                    ASSERT_EQ(contents(*store), current) << "seed " << seed;
                    continue;
                }
                if (!batch.empty()) {
                    apply_to(current, batch);
                    pending.push_back(std::move(batch));
                }
                if (d == durability::sync) {
                    durable = current;
                    pending.clear();
                }
            }
            ASSERT_EQ(contents(*store), current) << "seed " << seed;
            snapshots += fs.exists(snapshot_path()) ? 1 : 0;
            if (pick(2) == 0) {
                fs.set_capacity(std::nullopt);
            }
            if (pick(4) == 0) {
                // A process crash: the page cache keeps everything.
                store = open_store(fs, opts);
                ASSERT_TRUE(store) << "seed " << seed << " round " << round;
                ASSERT_EQ(contents(*store), current) << "seed " << seed;
                durable = current;
                pending.clear();
                continue;
            }
            fs.power_loss();
            store = open_store(fs, opts);
            ASSERT_TRUE(store) << "seed " << seed << " round " << round;
            auto got = contents(*store);
            model m = durable;
            size_t survived = got == m ? 0 : pending.size() + 1;
            for (size_t k = 0; k < pending.size() && survived > pending.size(); ++k) {
                apply_to(m, pending[k]);
                if (got == m) {
                    survived = k + 1;
                }
            }
            ASSERT_LE(survived, pending.size())
                << "seed " << seed << " round " << round
                << ": not the durable state plus a prefix of the unsynced entries";
            if (survived > 0 && survived < pending.size()) {
                ++partial_survivals;
            }
            durable = current = got;
            pending.clear();
        }
    }
    // The scenarios the test exists for did happen.
    EXPECT_GT(partial_survivals, 10);
    EXPECT_GT(snapshots, 100);
    EXPECT_GT(full_disk_failures, 100);
}

TEST(kvstore, works_on_the_real_disk) {
    char tmpl[] = "/tmp/kvstore_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    struct remove_at_end {
        ~remove_at_end() { std::filesystem::remove_all(_path); }
        std::string _path;
    } cleanup{tmpl};
    auto& fs = posix_file_system();
    auto kv_dir = join_path(tmpl, "kv");
    model expected;
    {
        auto store = kvstore::open(fs, kv_dir, with_threshold(500));
        ASSERT_TRUE(store) << store.message();
        for (int i = 0; i < 50; ++i) {
            ASSERT_TRUE(
                is_ok((*store)->put(fmt::format("k{}", i % 17), std::string(i, 'r'),
                                    i % 2 ? durability::none : durability::sync)));
        }
        ASSERT_TRUE(is_ok((*store)->apply({{"k1", std::nullopt}, {"raft/term", "9"}})));
        ASSERT_TRUE(is_ok((*store)->remove("k2")));
        expected = contents(**store);
    }
    EXPECT_TRUE(std::filesystem::exists(join_path(kv_dir, "kvstore.snapshot")));
    auto store = kvstore::open(fs, kv_dir, with_threshold(500));
    ASSERT_TRUE(store) << store.message();
    EXPECT_EQ(contents(**store), expected);
    EXPECT_EQ((*store)->get("raft/term"), "9");
    // A torn tail on the real disk is truncated too.
    auto log_file = join_path(kv_dir, "kvstore.log");
    auto log_size = std::filesystem::file_size(log_file);
    {
        auto f = fs.open(log_file, open_mode::existing);
        ASSERT_TRUE(f);
        ASSERT_TRUE(is_ok((*f)->write_at(log_size, base::iobuf::copy_of("torn entry"))));
    }
    store = kvstore::open(fs, kv_dir, with_threshold(500));
    ASSERT_TRUE(store) << store.message();
    EXPECT_EQ(contents(**store), expected);
    EXPECT_EQ(std::filesystem::file_size(log_file), log_size);
}

} // namespace
} // namespace storage
