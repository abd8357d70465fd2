#include "kafka/protocol/messages/fetch.h"
#include "kafka/server/fetch_session.h"

#include <gtest/gtest.h>

#include <set>

namespace {

using kafka::error_code;
using kafka::fetch_outcome;
using kafka::fetch_session_cache;
using kafka::protocol::fetch_request;
using clock_type = fetch_session_cache::clock;
using namespace std::chrono_literals;

constexpr int16_t by_name = 12;
constexpr int16_t by_id = 13;

struct wanted {
    std::string topic;
    int32_t partition;
    int64_t offset{0};
};

fetch_request request(int32_t session_id, int32_t epoch, std::vector<wanted> add,
                      std::vector<wanted> forget = {}) {
    fetch_request r;
    r.session_id = session_id;
    r.session_epoch = epoch;
    for (const auto& w : add) {
        auto& t = r.topics.emplace_back();
        t.topic = w.topic;
        t.topic_id[0] = static_cast<uint8_t>(w.topic.empty() ? 0 : w.topic[0]);
        auto& p = t.partitions.emplace_back();
        p.partition = w.partition;
        p.fetch_offset = w.offset;
        p.partition_max_bytes = 1024;
    }
    for (const auto& w : forget) {
        auto& t = r.forgotten_topics_data.emplace_back();
        t.topic = w.topic;
        t.topic_id[0] = static_cast<uint8_t>(w.topic.empty() ? 0 : w.topic[0]);
        t.partitions.push_back(w.partition);
    }
    return r;
}

std::vector<std::pair<std::string, int32_t>> names(const kafka::fetch_context& ctx) {
    std::vector<std::pair<std::string, int32_t>> out;
    for (const auto& p : ctx.partitions) {
        out.emplace_back(p.topic, p.partition);
    }
    return out;
}

struct session_cache_test : ::testing::Test {
    clock_type::time_point now{clock_type::time_point{} + 1h};
    fetch_session_cache cache{{.max_sessions = 3, .eviction = 1000ms}, 1, 4, 42};
};

TEST_F(session_cache_test, a_full_fetch_with_epoch_zero_opens_a_session_on_this_shard) {
    auto ctx = cache.open(request(0, 0, {{"a", 0}, {"a", 1}}), by_name, now);
    ASSERT_EQ(ctx.error, error_code::none);
    ASSERT_TRUE(ctx.session);
    EXPECT_FALSE(ctx.incremental);
    EXPECT_GT(ctx.session->id(), 0);
    EXPECT_EQ(ctx.session->id() % 4, 1) << "the shard is in the id's low bits";
    EXPECT_EQ(ctx.session->epoch(), 1);
    EXPECT_EQ(names(ctx), (decltype(names(ctx)){{"a", 0}, {"a", 1}}));
    EXPECT_EQ(cache.size(), 1u);
}

TEST_F(session_cache_test, a_full_fetch_with_the_final_epoch_opens_no_session) {
    auto ctx = cache.open(request(0, -1, {{"a", 0}}), by_name, now);
    EXPECT_EQ(ctx.error, error_code::none);
    EXPECT_FALSE(ctx.session);
    EXPECT_EQ(ctx.partitions.size(), 1u);
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(session_cache_test, an_incremental_fetch_adds_updates_and_forgets_partitions) {
    auto full = cache.open(request(0, 0, {{"a", 0}, {"a", 1}, {"b", 0}}), by_name, now);
    int32_t id = full.session->id();
    auto inc =
        cache.open(request(id, 1, {{"c", 0}, {"a", 1, 50}}, {{"a", 0}}), by_name, now);
    ASSERT_EQ(inc.error, error_code::none);
    EXPECT_TRUE(inc.incremental);
    EXPECT_EQ(names(inc), (decltype(names(inc)){{"a", 1}, {"b", 0}, {"c", 0}}));
    EXPECT_EQ(inc.partitions[0].fetch_offset, 50);
    EXPECT_EQ(inc.session->epoch(), 2);
}

TEST_F(session_cache_test, an_unknown_session_id_is_not_found) {
    auto ctx = cache.open(request(12345, 1, {}), by_name, now);
    EXPECT_EQ(ctx.error, error_code::fetch_session_id_not_found);
    auto zero = cache.open(request(0, 3, {}), by_name, now);
    EXPECT_EQ(zero.error, error_code::fetch_session_id_not_found);
}

TEST_F(session_cache_test, a_wrong_epoch_is_refused_and_leaves_the_session_as_it_was) {
    int32_t id = cache.open(request(0, 0, {{"a", 0}}), by_name, now).session->id();
    EXPECT_EQ(cache.open(request(id, 2, {{"b", 0}}), by_name, now).error,
              error_code::invalid_fetch_session_epoch);
    EXPECT_EQ(cache.open(request(id, 0x7fffffff, {}), by_name, now).error,
              error_code::invalid_fetch_session_epoch);
    auto ok = cache.open(request(id, 1, {}), by_name, now);
    ASSERT_EQ(ok.error, error_code::none);
    EXPECT_EQ(names(ok), (decltype(names(ok)){{"a", 0}}));
    // The epoch moved on: a replay of the same request is now stale.
    EXPECT_EQ(cache.open(request(id, 1, {}), by_name, now).error,
              error_code::invalid_fetch_session_epoch);
}

TEST_F(session_cache_test, a_session_keeps_to_topic_ids_or_names_as_it_began) {
    int32_t id = cache.open(request(0, 0, {{"a", 0}}), by_name, now).session->id();
    EXPECT_EQ(cache.open(request(id, 1, {}), by_id, now).error,
              error_code::fetch_session_topic_id_error);
}

TEST_F(session_cache_test, topic_id_sessions_key_partitions_by_id) {
    auto full = cache.open(request(0, 0, {{"a", 0}, {"b", 0}}), by_id, now);
    int32_t id = full.session->id();
    // Names are empty from v13; the ids tell the topics apart.
    auto forget = request(id, 1, {}, {{"a", 0}});
    forget.forgotten_topics_data[0].topic.clear();
    auto inc = cache.open(forget, by_id, now);
    ASSERT_EQ(inc.error, error_code::none);
    ASSERT_EQ(inc.partitions.size(), 1u);
    EXPECT_EQ(inc.partitions[0].topic_id[0], 'b');
}

TEST_F(session_cache_test, full_fetches_close_the_session_they_name) {
    int32_t id = cache.open(request(0, 0, {{"a", 0}}), by_name, now).session->id();
    auto again = cache.open(request(id, 0, {{"b", 0}}), by_name, now);
    EXPECT_NE(again.session->id(), id);
    EXPECT_EQ(cache.find(id), nullptr);
    int32_t second = again.session->id();
    auto closing = cache.open(request(second, -1, {{"b", 0}}), by_name, now);
    EXPECT_FALSE(closing.session);
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(session_cache_test, forgetting_every_partition_ends_the_session) {
    int32_t id = cache.open(request(0, 0, {{"a", 0}}), by_name, now).session->id();
    auto ctx = cache.open(request(id, 1, {}, {{"a", 0}}), by_name, now);
    EXPECT_EQ(ctx.error, error_code::none);
    EXPECT_FALSE(ctx.session);
    EXPECT_TRUE(ctx.partitions.empty());
    EXPECT_EQ(cache.find(id), nullptr);
}

TEST_F(session_cache_test, incremental_answers_carry_only_what_changed) {
    auto full = cache.open(request(0, 0, {{"a", 0}, {"a", 1}}), by_name, now);
    auto& s = *full.session;
    const fetch_outcome quiet{0, 10, 10, 0, 0};
    s.told(full.partitions[0], quiet);
    s.told(full.partitions[1], quiet);
    auto inc = cache.open(request(s.id(), 1, {}), by_name, now);
    EXPECT_FALSE(s.must_answer(inc.partitions[0], quiet)) << "nothing new";
    EXPECT_TRUE(s.must_answer(inc.partitions[1], {0, 11, 11, 0, 0}))
        << "high watermark moved";
    EXPECT_FALSE(s.must_answer(inc.partitions[1], {0, 11, 11, 0, 0}));
    EXPECT_TRUE(s.must_answer(inc.partitions[1], {0, 11, 11, 5, 0})) << "log start moved";
    EXPECT_TRUE(s.must_answer(inc.partitions[1], {0, 11, 9, 5, 0}))
        << "last stable offset moved";
    EXPECT_TRUE(s.must_answer(inc.partitions[0], {0, 10, 10, 0, 100})) << "records";
    EXPECT_TRUE(s.must_answer(inc.partitions[0], {3, -1, -1, -1, 0})) << "an error";
    EXPECT_TRUE(s.must_answer(inc.partitions[0], quiet)) << "the error cleared";
}

TEST_F(session_cache_test, new_partitions_are_answered_once_even_without_news) {
    auto full = cache.open(request(0, 0, {{"a", 0}}), by_name, now);
    auto& s = *full.session;
    s.told(full.partitions[0], {0, 10, 10, 0, 0});
    auto inc = cache.open(request(s.id(), 1, {{"b", 0}}), by_name, now);
    ASSERT_EQ(inc.partitions.size(), 2u);
    const fetch_outcome empty{0, 0, 0, 0, 0};
    EXPECT_TRUE(s.must_answer(inc.partitions[1], empty));
    EXPECT_FALSE(s.must_answer(inc.partitions[1], empty));
}

TEST_F(session_cache_test, a_partition_that_returned_records_goes_to_the_back) {
    auto full = cache.open(request(0, 0, {{"a", 0}, {"a", 1}, {"a", 2}}), by_name, now);
    auto& s = *full.session;
    s.must_answer(full.partitions[0], {0, 10, 10, 0, 100});
    auto inc = cache.open(request(s.id(), 1, {}), by_name, now);
    EXPECT_EQ(names(inc), (decltype(names(inc)){{"a", 1}, {"a", 2}, {"a", 0}}));
}

TEST_F(session_cache_test,
       a_full_cache_refuses_a_new_session_until_one_is_idle_long_enough) {
    std::vector<int32_t> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(cache.open(request(0, 0, {{"a", i}}), by_name, now).session->id());
        now += 100ms;
    }
    EXPECT_FALSE(cache.open(request(0, 0, {{"b", 0}}), by_name, now).session);
    // Sessions 1 and 2 are used; session 0 stays idle past the eviction time.
    now += 950ms;
    ASSERT_EQ(cache.open(request(ids[1], 1, {}), by_name, now).error, error_code::none);
    ASSERT_EQ(cache.open(request(ids[2], 1, {}), by_name, now).error, error_code::none);
    now += 100ms;
    auto fresh = cache.open(request(0, 0, {{"b", 0}}), by_name, now);
    ASSERT_TRUE(fresh.session);
    EXPECT_EQ(cache.find(ids[0]), nullptr) << "the idlest session made room";
    EXPECT_NE(cache.find(ids[1]), nullptr);
    EXPECT_EQ(cache.size(), 3u);
}

TEST_F(session_cache_test, a_larger_session_replaces_the_smallest_old_one) {
    std::vector<int32_t> ids;
    ids.push_back(
        cache.open(request(0, 0, {{"a", 0}, {"a", 1}}), by_name, now).session->id());
    ids.push_back(cache.open(request(0, 0, {{"b", 0}}), by_name, now).session->id());
    ids.push_back(
        cache.open(request(0, 0, {{"c", 0}, {"c", 1}}), by_name, now).session->id());
    // Old enough to be evictable, but all in use.
    now += 2s;
    for (int32_t id : ids) {
        ASSERT_EQ(cache.open(request(id, 1, {}), by_name, now).error, error_code::none);
    }
    EXPECT_FALSE(cache.open(request(0, 0, {{"d", 0}}), by_name, now).session)
        << "not larger than the smallest";
    auto larger = cache.open(request(0, 0, {{"d", 0}, {"d", 1}}), by_name, now);
    ASSERT_TRUE(larger.session);
    EXPECT_EQ(cache.find(ids[1]), nullptr);
    EXPECT_NE(cache.find(ids[0]), nullptr);
    EXPECT_NE(cache.find(ids[2]), nullptr);
}

TEST_F(session_cache_test, no_slots_means_no_sessions) {
    fetch_session_cache none{{.max_sessions = 0, .eviction = 0ms}, 0, 1, 1};
    auto ctx = none.open(request(0, 0, {{"a", 0}}), by_name, now);
    EXPECT_EQ(ctx.error, error_code::none);
    EXPECT_FALSE(ctx.session);
    EXPECT_EQ(ctx.partitions.size(), 1u);
}

TEST(session_ids, are_unique_and_positive) {
    fetch_session_cache cache{{.max_sessions = 5000, .eviction = 1000ms}, 0, 1, 7};
    std::set<int32_t> ids;
    auto now = clock_type::now();
    for (int i = 0; i < 5000; ++i) {
        auto ctx = cache.open(request(0, 0, {{"a", 0}}), by_name, now);
        ASSERT_TRUE(ctx.session);
        EXPECT_GT(ctx.session->id(), 0);
        ids.insert(ctx.session->id());
    }
    EXPECT_EQ(ids.size(), 5000u);
}

} // namespace
