#pragma once

#include "kafka/protocol/error_code.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kafka::handlers {

// The most partitions one CreateTopics or CreatePartitions request may
// make, as in Kafka's controller: each partition costs files and memory,
// so one request must not be able to exhaust the node.
constexpr int64_t max_partitions_per_request = 10000;
constexpr std::string_view too_many_partitions =
    "Excessively large number of partitions per request.";

// Kafka's rules for topic names: 1 to 249 characters of [a-zA-Z0-9._-],
// and not "." or "..". Returns why a name breaks them.
inline std::optional<std::string> invalid_topic_name(std::string_view name) {
    if (name.empty()) {
        return "topic name is empty";
    }
    if (name == "." || name == "..") {
        return "topic name cannot be \".\" or \"..\"";
    }
    if (name.size() > 249) {
        return "topic name is longer than 249 characters";
    }
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return "topic name has characters other than ASCII alphanumerics, '.', '_' "
                   "and '-'";
        }
    }
    return std::nullopt;
}

// Kafka's internal topics (__consumer_offsets, __transaction_state) and
// any other name of that form.
inline bool is_internal_topic(std::string_view name) {
    return name.starts_with("__");
}

} // namespace kafka::handlers
