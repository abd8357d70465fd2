// Every generated message at every version, filled with random values for
// the fields that version has, encodes to encoded_size() bytes and decodes
// back to the same message (and the same bytes).

#include "kafka/protocol/messages/test_support.h"

#include "kafka/protocol/tests/encode_helpers.h"

#include <gtest/gtest.h>

#include <concepts>

namespace {

using namespace kafka::protocol;
namespace pt = kafka::protocol::testing;

constexpr int iterations_per_version = 40;

template<typename M>
std::vector<uint8_t> encode(const M& m, int16_t version) {
    return pt::encode_bytes(m, version);
}

template<typename M>
void round_trip_every_version(const char* name, int16_t lo, int16_t hi) {
    pt::random_source rnd(0x5eed + lo * 31 + hi);
    for (int16_t v = lo; v <= hi; ++v) {
        for (int i = 0; i < iterations_per_version; ++i) {
            M original;
            pt::randomize(original, rnd, v);
            auto bytes = encode(original, v);
            reader r(bytes);
            M decoded;
            decoded.decode(r, v);
            ASSERT_FALSE(r.failed()) << name << " v" << v << ": " << r.error();
            ASSERT_EQ(r.remaining(), 0u) << name << " v" << v;
            ASSERT_EQ(encode(decoded, v), bytes) << name << " v" << v;
            if constexpr (std::equality_comparable<M>) {
                ASSERT_TRUE(decoded == original) << name << " v" << v;
            }
        }
    }
}

#define ATOLL_ROUND_TRIP_TEST(type, lo, hi)                                              \
    TEST(round_trip, type) {                                                             \
        round_trip_every_version<type>(#type, lo, hi);                                   \
    }
ATOLL_KAFKA_MESSAGES(ATOLL_ROUND_TRIP_TEST)
#undef ATOLL_ROUND_TRIP_TEST

} // namespace
