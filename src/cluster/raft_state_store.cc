#include "cluster/raft_state_store.h"

#include "model/big_endian.h"

#include <fmt/format.h>

#include <array>

namespace cluster {
namespace {

std::string key(std::string_view what, raft::group_id group) {
    return fmt::format("raft/{}/{}", group(), what);
}

constexpr size_t hard_state_bytes = 12;

} // namespace

raft_state_store::hard_state raft_state_store::load_hard_state(
    raft::group_id group) const {
    auto v = _kv.get(key("hard_state", group));
    if (!v || v->size() != hard_state_bytes) {
        return {};
    }
    const auto* p = reinterpret_cast<const uint8_t*>(v->data());
    return {raft::term_id(model::big_endian::read<int64_t>(p)),
            raft::node_id(model::big_endian::read<int32_t>(p + 8))};
}

storage::result<void> raft_state_store::save_hard_state(raft::group_id group,
                                                        hard_state s) {
    std::array<uint8_t, hard_state_bytes> bytes{};
    model::big_endian::write<int64_t>(bytes.data(), s.term());
    model::big_endian::write<int32_t>(bytes.data() + 8, s.voted_for());
    _unsynced = true;
    return _kv.put(key("hard_state", group),
                   std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                   storage::kvstore::durability::none);
}

// Each configuration: its offset (8 bytes), then its encoding's length (4)
// and bytes.
raft_state_store::log_configs raft_state_store::load_configs(raft::group_id group) const {
    log_configs out;
    auto v = _kv.get(key("configs", group));
    if (!v) {
        return out;
    }
    const auto* p = reinterpret_cast<const uint8_t*>(v->data());
    size_t at = 0;
    while (at + 12 <= v->size()) {
        auto offset = model::big_endian::read<int64_t>(p + at);
        auto length = static_cast<size_t>(model::big_endian::read<uint32_t>(p + at + 8));
        at += 12;
        if (at + length > v->size()) {
            break;
        }
        auto config = raft::decode_configuration(
            base::iobuf::copy_of(std::span<const uint8_t>(p + at, length)));
        at += length;
        if (!config) {
            break;
        }
        out.emplace_back(raft::log_index(offset), std::move(*config));
    }
    return out;
}

storage::result<void> raft_state_store::save_configs(raft::group_id group,
                                                     const log_configs& configs) {
    std::string bytes;
    for (const auto& [offset, config] : configs) {
        auto encoded = raft::encode_configuration(config).to_string();
        std::array<uint8_t, 12> head{};
        model::big_endian::write<int64_t>(head.data(), offset());
        model::big_endian::write<uint32_t>(head.data() + 8,
                                           static_cast<uint32_t>(encoded.size()));
        bytes.append(reinterpret_cast<const char*>(head.data()), head.size());
        bytes += encoded;
    }
    // Durable before the entry reaches the log: a log holding a
    // configuration this list lacks would restart with the wrong members.
    return _kv.put(key("configs", group), std::move(bytes),
                   storage::kvstore::durability::sync);
}

storage::result<void> raft_state_store::forget(raft::group_id group) {
    _unsynced = true;
    return _kv.apply(
        {{key("hard_state", group), std::nullopt}, {key("configs", group), std::nullopt}},
        storage::kvstore::durability::none);
}

storage::result<void> raft_state_store::sync() {
    if (!_unsynced) {
        return base::ok;
    }
    auto r = _kv.sync();
    if (r) {
        _unsynced = false;
    }
    return r;
}

} // namespace cluster
