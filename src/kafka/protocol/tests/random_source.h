#pragma once

#include "base/iobuf.h"
#include "kafka/protocol/wire.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace kafka::protocol::testing {

// Random field values for round-trip tests, from a seed so that a failure
// can be replayed.
class random_source {
public:
    explicit random_source(uint64_t seed)
      : _rng(seed) {}

    int64_t between(int64_t lo, int64_t hi) {
        return std::uniform_int_distribution<int64_t>(lo, hi)(_rng);
    }
    bool coin() { return between(0, 1) == 1; }
    template<typename T>
    T integer() {
        // Small values and the extremes both matter (varints, signs).
        switch (between(0, 3)) {
            case 0:
                return static_cast<T>(between(-1, 3));
            case 1:
                return std::numeric_limits<T>::max();
            case 2:
                return std::numeric_limits<T>::min();
            default:
                return static_cast<T>(_rng());
        }
    }
    double real() { return std::uniform_real_distribution<double>(-1e6, 1e6)(_rng); }
    size_t count() { return static_cast<size_t>(between(0, 3)); }
    std::string string() {
        std::string s(static_cast<size_t>(between(0, 12)), 'a');
        for (auto& c : s) {
            c = static_cast<char>('a' + between(0, 25));
        }
        return s;
    }
    std::vector<uint8_t> bytes() {
        std::vector<uint8_t> b(static_cast<size_t>(between(0, 40)));
        for (auto& x : b) {
            x = static_cast<uint8_t>(_rng());
        }
        return b;
    }
    base::iobuf records() { return base::iobuf::copy_of(bytes()); }
    uuid id() {
        uuid u{};
        for (auto& x : u) {
            x = static_cast<uint8_t>(_rng());
        }
        return u;
    }
    // Tagged fields a later Kafka version might add: numbers well above
    // any tag the definitions use, so they stay unknown.
    unknown_tagged_fields unknown_tags() {
        unknown_tagged_fields tags;
        if (between(0, 3) == 0) {
            uint32_t tag = static_cast<uint32_t>(between(1000, 1010));
            tags.push_back({tag, bytes()});
            tags.push_back({tag + 20, bytes()});
        }
        return tags;
    }

private:
    std::mt19937_64 _rng;
};

} // namespace kafka::protocol::testing
