#pragma once

#include "kafka/protocol/messages/group_records.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

// The records of __consumer_offsets, in Kafka's format so that Kafka's own
// tools can read the topic: a key and a value, each an int16 version and
// then the versioned struct. A null value is a tombstone (compaction keeps
// the latest record per key).

namespace kafka::group {

// Versions this broker writes: what Kafka 3.x and 4.0 write for the
// classic protocol, readable by every tool since Kafka 2.3.
inline constexpr int16_t offset_key_version = 1;
inline constexpr int16_t offset_value_version = 3;
inline constexpr int16_t group_key_version = 2;
inline constexpr int16_t group_value_version = 3;

struct offset_record {
    protocol::offset_commit_key key;
    // Null: the offset was deleted.
    std::optional<protocol::offset_commit_value> value;
};

struct group_record {
    protocol::group_metadata_key key;
    // Null: the group was deleted.
    std::optional<protocol::group_metadata_value> value;
};

// A record of a kind this broker does not use (KIP-848 groups,
// transactions): skipped, never an error.
struct other_record {};

using coordinator_record = std::variant<offset_record, group_record, other_record>;

std::vector<uint8_t> encode_offset_key(const std::string& group, const std::string& topic,
                                       int32_t partition);
std::vector<uint8_t> encode_offset_value(const protocol::offset_commit_value& value);
std::vector<uint8_t> encode_group_key(const std::string& group);
std::vector<uint8_t> encode_group_value(const protocol::group_metadata_value& value);

// Decodes one record of the topic; nullopt when its bytes are malformed.
std::optional<coordinator_record> decode_record(
    const std::optional<std::span<const uint8_t>>& key,
    const std::optional<std::span<const uint8_t>>& value);

} // namespace kafka::group
