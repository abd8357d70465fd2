#include "raft/types.h"

#include <algorithm>
#include <array>

namespace raft {
namespace {

// A configuration entry's bytes: the voters' count and ids, then the
// learners', each a big-endian int32.
void put_i32(base::iobuf& out, int32_t v) {
    std::array<uint8_t, 4> b{};
    auto u = static_cast<uint32_t>(v);
    for (int i = 3; i >= 0; --i) {
        b[static_cast<size_t>(i)] = static_cast<uint8_t>(u & 0xFFU);
        u >>= 8U;
    }
    out.append(b.data(), b.size());
}

bool get_i32(const std::vector<uint8_t>& in, size_t& pos, int32_t& v) {
    if (in.size() - pos < 4) {
        return false;
    }
    uint32_t u = 0;
    for (size_t i = 0; i < 4; ++i) {
        u = (u << 8U) | in[pos + i];
    }
    pos += 4;
    v = static_cast<int32_t>(u);
    return true;
}

bool get_nodes(const std::vector<uint8_t>& in, size_t& pos, std::vector<node_id>& out) {
    int32_t count = 0;
    if (!get_i32(in, pos, count) || count < 0
        || static_cast<size_t>(count) > (in.size() - pos) / 4) {
        return false;
    }
    for (int32_t i = 0; i < count; ++i) {
        int32_t id = 0;
        get_i32(in, pos, id);
        out.emplace_back(id);
    }
    return true;
}

} // namespace

bool configuration::is_voter(node_id n) const {
    return std::find(voters.begin(), voters.end(), n) != voters.end();
}

bool configuration::is_member(node_id n) const {
    return is_voter(n)
        || std::find(learners.begin(), learners.end(), n) != learners.end();
}

bool configuration::valid() const {
    std::vector<node_id> all(voters);
    all.insert(all.end(), learners.begin(), learners.end());
    std::sort(all.begin(), all.end());
    return !voters.empty() && std::adjacent_find(all.begin(), all.end()) == all.end();
}

base::iobuf encode_configuration(const configuration& c) {
    base::iobuf out;
    for (const auto* group : {&c.voters, &c.learners}) {
        put_i32(out, static_cast<int32_t>(group->size()));
        for (auto n : *group) {
            put_i32(out, n());
        }
    }
    return out;
}

std::optional<configuration> decode_configuration(const base::iobuf& data) {
    auto bytes = data.to_vector();
    size_t pos = 0;
    configuration c;
    if (!get_nodes(bytes, pos, c.voters) || !get_nodes(bytes, pos, c.learners)
        || pos != bytes.size() || !c.valid()) {
        return std::nullopt;
    }
    return c;
}

} // namespace raft
