#pragma once

#include "base/iobuf.h"
#include "kafka/protocol/wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace kafka::protocol::testing {

// The bytes of `m` at `version`, checking that encoded_size() agrees.
template<typename M>
std::vector<uint8_t> encode_bytes(const M& m, int16_t version) {
    base::iobuf out;
    writer w(out);
    m.encode(w, version);
    EXPECT_EQ(w.written(), m.encoded_size(version));
    return out.to_vector();
}

} // namespace kafka::protocol::testing
