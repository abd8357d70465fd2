#include "kafka/server/group/group_records.h"

#include "base/iobuf.h"
#include "kafka/protocol/wire.h"
#include "kafka/server/versioned_record.h"

namespace kafka::group {

std::vector<uint8_t> encode_offset_key(const std::string& group, const std::string& topic,
                                       int32_t partition) {
    protocol::offset_commit_key key{
        .group = group, .topic = topic, .partition = partition};
    return versioned(key, offset_key_version);
}

std::vector<uint8_t> encode_offset_value(const protocol::offset_commit_value& value) {
    return versioned(value, offset_value_version);
}

std::vector<uint8_t> encode_group_key(const std::string& group) {
    protocol::group_metadata_key key{.group = group};
    return versioned(key, group_key_version);
}

std::vector<uint8_t> encode_group_value(const protocol::group_metadata_value& value) {
    return versioned(value, group_value_version);
}

std::optional<coordinator_record> decode_record(
    const std::optional<std::span<const uint8_t>>& key,
    const std::optional<std::span<const uint8_t>>& value) {
    if (!key) {
        return std::nullopt;
    }
    base::iobuf key_bytes = base::iobuf::copy_of(*key);
    protocol::reader kr(key_bytes);
    int16_t key_version = kr.read_int16();
    if (kr.failed()) {
        return std::nullopt;
    }
    std::optional<base::iobuf> value_bytes;
    int16_t value_version = -1;
    std::optional<protocol::reader> vr;
    if (value) {
        value_bytes = base::iobuf::copy_of(*value);
        vr.emplace(*value_bytes);
        value_version = vr->read_int16();
        if (vr->failed()) {
            return std::nullopt;
        }
    }
    if (key_version == 0 || key_version == 1) {
        auto k = decode_as<protocol::offset_commit_key>(kr, key_version);
        if (!k) {
            return std::nullopt;
        }
        offset_record rec{std::move(*k), std::nullopt};
        if (vr) {
            if (value_version < 0 || value_version > 4) {
                return std::nullopt;
            }
            rec.value = decode_as<protocol::offset_commit_value>(*vr, value_version);
            if (!rec.value) {
                return std::nullopt;
            }
        }
        return rec;
    }
    if (key_version == 2) {
        auto k = decode_as<protocol::group_metadata_key>(kr, key_version);
        if (!k) {
            return std::nullopt;
        }
        group_record rec{std::move(*k), std::nullopt};
        if (vr) {
            if (value_version < 0 || value_version > 4) {
                return std::nullopt;
            }
            rec.value = decode_as<protocol::group_metadata_value>(*vr, value_version);
            if (!rec.value) {
                return std::nullopt;
            }
        }
        return rec;
    }
    return other_record{};
}

} // namespace kafka::group
