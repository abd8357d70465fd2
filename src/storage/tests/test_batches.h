#pragma once

#include "model/record_batch.h"
#include "model/record_batch_builder.h"

#include <cstdint>
#include <string>
#include <vector>

namespace storage::testing {

// A batch of `count` records keyed "<prefix>-<i>" with values of
// `value_bytes` bytes, timestamps from `timestamp` on (one ms apart).
inline model::record_batch make_batch(int count, const std::string& prefix = "k",
                                      int64_t timestamp = 1000, size_t value_bytes = 16) {
    model::record_batch_builder b;
    std::vector<std::string> keys;
    std::vector<std::string> values;
    keys.reserve(count);
    values.reserve(count);
    for (int i = 0; i < count; ++i) {
        keys.push_back(prefix + "-" + std::to_string(i));
        values.push_back(std::string(value_bytes, static_cast<char>('a' + i % 26)));
    }
    for (int i = 0; i < count; ++i) {
        model::record_data r;
        r.key =
            std::span(reinterpret_cast<const uint8_t*>(keys[i].data()), keys[i].size());
        r.value = std::span(reinterpret_cast<const uint8_t*>(values[i].data()),
                            values[i].size());
        r.timestamp = timestamp + i;
        b.add_record(r);
    }
    return b.build();
}

} // namespace storage::testing
