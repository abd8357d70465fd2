#pragma once

#include "kafka/protocol/messages/txn_records.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

// The records of __transaction_state, in Kafka's format (so Kafka's tools
// can read the topic): the key {version 0, transactional id} and the value
// {version, TransactionLogValue}. A null value is a tombstone: the
// transactional id expired.

namespace kafka::txn {

inline constexpr int16_t key_version = 0;
// Version 1 (flexible, with tagged fields) is what Kafka 4.0 writes.
inline constexpr int16_t value_version = 1;

struct txn_record {
    std::string transactional_id;
    std::optional<protocol::transaction_log_value> value;
};

std::vector<uint8_t> encode_key(const std::string& transactional_id);
std::vector<uint8_t> encode_value(const protocol::transaction_log_value& value);

// Decodes one record; nullopt when its bytes are malformed or of a version
// this broker does not know.
std::optional<txn_record> decode_record(
    const std::optional<std::span<const uint8_t>>& key,
    const std::optional<std::span<const uint8_t>>& value);

} // namespace kafka::txn
