#include "kafka/server/txn/txn_records.h"

#include "kafka/server/versioned_record.h"

namespace kafka::txn {

std::vector<uint8_t> encode_key(const std::string& transactional_id) {
    protocol::transaction_log_key key;
    key.transactional_id = transactional_id;
    return versioned(key, key_version);
}

std::vector<uint8_t> encode_value(const protocol::transaction_log_value& value) {
    return versioned(value, value_version);
}

std::optional<txn_record> decode_record(
    const std::optional<std::span<const uint8_t>>& key,
    const std::optional<std::span<const uint8_t>>& value) {
    if (!key) {
        return std::nullopt;
    }
    auto key_bytes = base::iobuf::copy_of(*key);
    protocol::reader kr(key_bytes);
    if (kr.read_int16() != key_version || kr.failed()) {
        return std::nullopt;
    }
    auto k = decode_as<protocol::transaction_log_key>(kr, key_version);
    if (!k) {
        return std::nullopt;
    }
    txn_record out{std::move(k->transactional_id), std::nullopt};
    if (!value) {
        return out;
    }
    auto value_bytes = base::iobuf::copy_of(*value);
    protocol::reader vr(value_bytes);
    int16_t version = vr.read_int16();
    if (vr.failed() || version < 0 || version > value_version) {
        return std::nullopt;
    }
    out.value = decode_as<protocol::transaction_log_value>(vr, version);
    if (!out.value) {
        return std::nullopt;
    }
    return out;
}

} // namespace kafka::txn
