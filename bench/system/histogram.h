#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench {

// A log-linear histogram of non-negative integers (atoll-bench records
// microseconds). Values below 2^sub_bucket_bits are counted exactly; above,
// each power-of-two range [2^k, 2^(k+1)) is split into 2^sub_bucket_bits
// equal buckets, so a bucket is at most 2^-sub_bucket_bits of its values
// wide. Percentiles report a bucket's midpoint: relative error at most
// 2^-(sub_bucket_bits + 1) (0.4 %). Every uint64_t fits, so an hour of
// microseconds needs no clamping. Merging adds counts, so per-thread
// histograms combine at the end of a run without locks on the hot path.
class histogram {
public:
    static constexpr unsigned sub_bucket_bits = 7;
    static constexpr uint64_t sub_bucket_count = uint64_t{1} << sub_bucket_bits;
    static constexpr size_t bucket_count = (64 - sub_bucket_bits + 1) * sub_bucket_count;

    histogram();

    void record(uint64_t value);
    void merge(const histogram& other);

    uint64_t count() const { return _count; }
    bool empty() const { return _count == 0; }
    // Exact extremes of what was recorded; 0 when empty.
    uint64_t min() const { return _count == 0 ? 0 : _min; }
    uint64_t max() const { return _max; }
    // The value at percentile p (0 < p <= 100): the smallest recorded value
    // with at least ceil(p% of count) values at or below it, to within the
    // bucket's error, clamped to [min, max]; p100 is the exact max. 0 when
    // empty.
    double percentile(double p) const;

    static size_t index_of(uint64_t value);
    static uint64_t lowest_in_bucket(size_t index);
    static uint64_t bucket_width(size_t index);

private:
    std::vector<uint64_t> _counts;
    uint64_t _count{0};
    uint64_t _min{UINT64_MAX};
    uint64_t _max{0};
};

} // namespace bench
