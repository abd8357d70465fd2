#include "bench/system/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace {

// The same rank rule as histogram::percentile, on the sorted raw values.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, double p) {
    const auto rank = std::max<uint64_t>(
        1,
        static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
    return sorted[rank - 1];
}

void expect_within_one_percent(const std::vector<uint64_t>& values) {
    bench::histogram h;
    for (auto v : values) {
        h.record(v);
    }
    auto sorted = values;
    std::sort(sorted.begin(), sorted.end());
    for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
        const auto exact = static_cast<double>(exact_percentile(sorted, p));
        const double got = h.percentile(p);
        EXPECT_LE(std::abs(got - exact), 0.01 * exact) << "p" << p << " exact " << exact;
    }
    EXPECT_EQ(h.max(), sorted.back());
    EXPECT_EQ(h.min(), sorted.front());
    EXPECT_EQ(h.count(), values.size());
}

TEST(histogram, percentiles_of_log_uniform_data_are_within_one_percent) {
    std::mt19937_64 rng(7);
    // Microseconds from 1 us to an hour, spread evenly over the decades.
    std::uniform_real_distribution<double> exponent(0, std::log(3.6e9));
    std::vector<uint64_t> values(200'000);
    for (auto& v : values) {
        v = static_cast<uint64_t>(std::exp(exponent(rng)));
    }
    expect_within_one_percent(values);
}

TEST(histogram, percentiles_of_lognormal_latencies_are_within_one_percent) {
    std::mt19937_64 rng(11);
    std::lognormal_distribution<double> latency_us(std::log(2000), 1.0);
    std::vector<uint64_t> values(100'000);
    for (auto& v : values) {
        v = static_cast<uint64_t>(latency_us(rng));
    }
    expect_within_one_percent(values);
}

TEST(histogram, every_bucket_bounds_its_relative_width) {
    for (size_t i = bench::histogram::sub_bucket_count;
         i < bench::histogram::bucket_count; ++i) {
        const auto low = bench::histogram::lowest_in_bucket(i);
        EXPECT_EQ(bench::histogram::index_of(low), i);
        EXPECT_LE(static_cast<double>(bench::histogram::bucket_width(i)) / low,
                  1.0 / 128);
    }
    EXPECT_EQ(bench::histogram::index_of(UINT64_MAX), bench::histogram::bucket_count - 1);
}

TEST(histogram, small_values_are_exact_and_an_hour_fits) {
    bench::histogram h;
    h.record(0);
    h.record(127);
    h.record(3'600'000'000);
    EXPECT_EQ(h.percentile(1), 0);
    EXPECT_EQ(h.percentile(50), 127);
    EXPECT_EQ(h.percentile(100), 3'600'000'000);
}

TEST(histogram, merging_equals_recording_everything_in_one) {
    std::mt19937_64 rng(3);
    std::uniform_int_distribution<uint64_t> us(1, 10'000'000);
    bench::histogram a, b, all;
    for (int i = 0; i < 50'000; ++i) {
        const auto v = us(rng);
        (i % 3 == 0 ? a : b).record(v);
        all.record(v);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), all.count());
    EXPECT_EQ(a.max(), all.max());
    EXPECT_EQ(a.min(), all.min());
    for (double p : {50.0, 99.0, 99.9}) {
        EXPECT_EQ(a.percentile(p), all.percentile(p));
    }
}

TEST(histogram, empty_histogram_reports_zero) {
    bench::histogram h;
    EXPECT_TRUE(h.empty());
    EXPECT_EQ(h.percentile(99), 0);
    EXPECT_EQ(h.max(), 0);
    bench::histogram other;
    other.record(5);
    h.merge(other);
    EXPECT_EQ(h.min(), 5);
}

} // namespace
