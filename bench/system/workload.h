#pragma once

#include "base/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

// A workload file: `key: value` lines and `#` comments, in the spirit of the
// OpenMessaging Benchmark's workload files. Every key is optional; unknown
// keys and invalid values are errors naming the line.
struct workload {
    std::string name{"unnamed"};
    std::string topic{"bench"};
    int32_t partitions{1};
    int32_t message_size_bytes{1024};
    bool keyed{false};
    int32_t producers{1};
    int32_t consumers{1};
    std::string consumer_group; // empty: consumers are assigned partitions
    double rate_mbps{0}; // MB (1e6 bytes) per second, all producers; 0: unthrottled
    int32_t duration_s{60};
    int32_t warmup_s{10};
    std::string acks{"all"}; // all, 1 or 0
    int32_t linger_ms{1};
    int32_t batch_size_bytes{131072};
    std::string compression{"none"}; // none, gzip, snappy, lz4, zstd
    bool idempotence{false};         // enable.idempotence
    // Records per transaction of a transactional producer; 0: none.
    int32_t transaction_records{0};
};

enum class workload_errc { syntax, unknown_key, duplicate_key, bad_value, io };

using workload_result = base::result<workload, workload_errc>;

// Parses a workload file's text; errors name the line.
workload_result parse_workload(std::string_view text);
// Reads and parses a file; errors name the file.
workload_result load_workload(const std::string& path);
// Sets one key as if it came from a file (command-line overrides use it).
base::result<void, workload_errc> set_workload_key(workload& w, std::string_view key,
                                                   std::string_view value);

// Bounds every message carries: the value starts with its send time.
inline constexpr int32_t message_size_min_bytes = 8;
inline constexpr int32_t message_size_max_bytes = 8 * 1024 * 1024;

} // namespace bench
