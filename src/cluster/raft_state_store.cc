#include "cluster/raft_state_store.h"

#include "model/big_endian.h"

#include <fmt/format.h>

#include <array>

namespace cluster {
namespace {

constexpr std::string_view key_prefix = "raft/";

std::string key(std::string_view group, std::string_view what) {
    return fmt::format("{}{}/{}", key_prefix, group, what);
}

constexpr size_t hard_state_bytes = 12;
// An own entry: its offset (8 bytes), whether a configuration follows (1),
// then the configuration's length (4) and encoding.
constexpr size_t entry_head_bytes = 9;

} // namespace

raft_state_store::hard_state raft_state_store::load_hard_state(
    std::string_view group) const {
    auto v = _kv.get(key(group, "hard_state"));
    if (!v || v->size() != hard_state_bytes) {
        return {};
    }
    const auto* p = reinterpret_cast<const uint8_t*>(v->data());
    return {raft::term_id(model::big_endian::read<int64_t>(p)),
            raft::node_id(model::big_endian::read<int32_t>(p + 8))};
}

storage::result<void> raft_state_store::save_hard_state(std::string_view group,
                                                        hard_state s) {
    std::array<uint8_t, hard_state_bytes> bytes{};
    model::big_endian::write<int64_t>(bytes.data(), s.term());
    model::big_endian::write<int32_t>(bytes.data() + 8, s.voted_for());
    _unsynced = true;
    return _kv.put(key(group, "hard_state"),
                   std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                   storage::kvstore::durability::none);
}

own_entries raft_state_store::load_own_entries(std::string_view group) const {
    own_entries out;
    auto v = _kv.get(key(group, "own_entries"));
    if (!v) {
        return out;
    }
    const auto* p = reinterpret_cast<const uint8_t*>(v->data());
    size_t at = 0;
    while (at + entry_head_bytes <= v->size()) {
        own_entry e{raft::log_index(model::big_endian::read<int64_t>(p + at)),
                    std::nullopt};
        bool has_config = p[at + 8] != 0;
        at += entry_head_bytes;
        if (has_config) {
            if (at + 4 > v->size()) {
                break;
            }
            auto length = static_cast<size_t>(model::big_endian::read<uint32_t>(p + at));
            at += 4;
            if (at + length > v->size()) {
                break;
            }
            e.config = raft::decode_configuration(
                base::iobuf::copy_of(std::span<const uint8_t>(p + at, length)));
            at += length;
            if (!e.config) {
                break;
            }
        }
        out.push_back(std::move(e));
    }
    return out;
}

storage::result<void> raft_state_store::save_own_entries(std::string_view group,
                                                         const own_entries& entries) {
    std::string bytes;
    for (const auto& e : entries) {
        std::array<uint8_t, entry_head_bytes + 4> head{};
        model::big_endian::write<int64_t>(head.data(), e.offset());
        head[8] = e.config ? 1 : 0;
        if (!e.config) {
            bytes.append(reinterpret_cast<const char*>(head.data()), entry_head_bytes);
            continue;
        }
        auto encoded = raft::encode_configuration(*e.config).to_string();
        model::big_endian::write<uint32_t>(head.data() + entry_head_bytes,
                                           static_cast<uint32_t>(encoded.size()));
        bytes.append(reinterpret_cast<const char*>(head.data()), head.size());
        bytes += encoded;
    }
    // Durable before the entry reaches the log: a log holding an entry of
    // Raft's that this list lacks would translate offsets wrongly.
    auto saved = _kv.put(key(group, "own_entries"), std::move(bytes),
                         storage::kvstore::durability::sync);
    if (saved) {
        _unsynced = false;
    }
    return saved;
}

storage::result<void> raft_state_store::forget(std::string_view group) {
    _unsynced = true;
    return _kv.apply({{key(group, "hard_state"), std::nullopt},
                      {key(group, "own_entries"), std::nullopt}},
                     storage::kvstore::durability::none);
}

std::optional<std::string_view> raft_state_store::group_of_key(std::string_view k) {
    if (!k.starts_with(key_prefix)) {
        return std::nullopt;
    }
    auto rest = k.substr(key_prefix.size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) {
        return std::nullopt;
    }
    return rest.substr(0, slash);
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
