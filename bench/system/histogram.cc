#include "bench/system/histogram.h"

#include "base/vassert.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bench {

histogram::histogram()
  : _counts(bucket_count, 0) {}

size_t histogram::index_of(uint64_t value) {
    if (value < sub_bucket_count) {
        return static_cast<size_t>(value);
    }
    // k >= sub_bucket_bits: the power-of-two range the value falls in.
    const unsigned k = 63 - static_cast<unsigned>(std::countl_zero(value));
    const unsigned shift = k - sub_bucket_bits;
    const uint64_t sub = (value >> shift) - sub_bucket_count;
    return static_cast<size_t>(sub_bucket_count + shift * sub_bucket_count + sub);
}

uint64_t histogram::lowest_in_bucket(size_t index) {
    vassert(index < bucket_count, "bucket {} out of range", index);
    if (index < sub_bucket_count) {
        return index;
    }
    const uint64_t shift = (index - sub_bucket_count) / sub_bucket_count;
    const uint64_t sub = (index - sub_bucket_count) % sub_bucket_count;
    return (sub_bucket_count + sub) << shift;
}

uint64_t histogram::bucket_width(size_t index) {
    vassert(index < bucket_count, "bucket {} out of range", index);
    if (index < sub_bucket_count) {
        return 1;
    }
    return uint64_t{1} << ((index - sub_bucket_count) / sub_bucket_count);
}

void histogram::record(uint64_t value) {
    ++_counts[index_of(value)];
    ++_count;
    _min = std::min(_min, value);
    _max = std::max(_max, value);
}

void histogram::merge(const histogram& other) {
    for (size_t i = 0; i < bucket_count; ++i) {
        _counts[i] += other._counts[i];
    }
    _count += other._count;
    _min = std::min(_min, other._min);
    _max = std::max(_max, other._max);
}

double histogram::percentile(double p) const {
    vassert(p > 0 && p <= 100, "percentile {} out of (0, 100]", p);
    if (_count == 0) {
        return 0;
    }
    const auto rank = std::max<uint64_t>(
        1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(_count))));
    if (rank >= _count) {
        return static_cast<double>(_max);
    }
    uint64_t seen = 0;
    for (size_t i = 0; i < bucket_count; ++i) {
        seen += _counts[i];
        if (seen >= rank) {
            const double low = static_cast<double>(lowest_in_bucket(i));
            const double mid = low + static_cast<double>(bucket_width(i) - 1) / 2.0;
            return std::clamp(mid, static_cast<double>(_min), static_cast<double>(_max));
        }
    }
    vunreachable("histogram counts sum below count {}", _count);
}

} // namespace bench
