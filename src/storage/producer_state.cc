#include "storage/producer_state.h"

#include "base/crc.h"
#include "storage/fixed_width.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace storage {
namespace {

constexpr uint32_t snapshot_magic = 0x53505441; // "ATPS"
constexpr uint32_t snapshot_version = 2;
constexpr size_t entry_bytes = 8 + 2 + 4 + 8 + 8 + 1;
constexpr size_t batch_bytes = 4 + 4 + 8 + 8 + 8;
constexpr size_t aborted_bytes = 8 + 8 + 8;
constexpr int64_t no_transaction = -1;

bool in_sequence(int32_t last, int32_t next) {
    return int64_t{next} == int64_t{last} + 1
        || (next == 0 && last == std::numeric_limits<int32_t>::max());
}

// Kafka's sequence rules for a batch whose epoch is not older than the
// producer's (ProducerAppendInfo.checkSequence).
bool sequence_fits(const producer_entry& entry, int16_t epoch, int32_t first) {
    if (entry.epoch == model::no_producer_epoch) {
        // Nothing known (new, expired, or its batches deleted): any
        // sequence starts it.
        return true;
    }
    if (epoch != entry.epoch) {
        // A new epoch starts its sequences over.
        return first == 0;
    }
    return in_sequence(entry.last_sequence(), first);
}

} // namespace

int32_t last_sequence_of(const model::record_batch_header& header) {
    int64_t last = int64_t{header.base_sequence} + header.last_offset_delta;
    if (last > std::numeric_limits<int32_t>::max()) {
        last -= int64_t{std::numeric_limits<int32_t>::max()} + 1;
    }
    return static_cast<int32_t>(last);
}

producer_check producer_state::check(const model::record_batch_header& header) const {
    auto it = _producers.find(header.producer_id);
    if (it == _producers.end()) {
        return {};
    }
    const auto& entry = it->second;
    if (header.producer_epoch == entry.epoch) {
        int32_t last = last_sequence_of(header);
        for (const auto& b : entry.batches) {
            if (b.first_sequence == header.base_sequence && b.last_sequence == last) {
                return {producer_verdict::duplicate, b};
            }
        }
    }
    if (header.producer_epoch < entry.epoch) {
        return {producer_verdict::invalid_producer_epoch, {}};
    }
    // A coordinator's batch (transactional offsets) carries no sequence:
    // only its epoch is checked, as Kafka does for AppendOrigin.COORDINATOR.
    if (header.base_sequence == model::no_sequence) {
        return {};
    }
    if (!sequence_fits(entry, header.producer_epoch, header.base_sequence)) {
        return {producer_verdict::out_of_order_sequence, {}};
    }
    if (entry.transaction_first_offset && !header.is_transactional()) {
        return {producer_verdict::invalid_txn_state, {}};
    }
    return {};
}

void producer_state::apply(const model::record_batch_header& header) {
    if (header.producer_id == model::no_producer_id || header.is_control()) {
        return;
    }
    auto& entry = _producers[header.producer_id];
    if (entry.epoch != header.producer_epoch) {
        entry.epoch = header.producer_epoch;
        entry.batches.clear();
    }
    model::offset first(header.base_offset);
    if (header.is_transactional() && !entry.transaction_first_offset) {
        entry.transaction_first_offset = first;
        _open.emplace(first, header.producer_id);
    }
    entry.last_timestamp = header.max_timestamp;
    if (header.base_sequence == model::no_sequence) {
        return; // a coordinator's batch: no sequence to remember
    }
    if (entry.batches.size() == retained_batches) {
        entry.batches.pop_front();
    }
    entry.batches.push_back(
        {.first_sequence = header.base_sequence,
         .last_sequence = last_sequence_of(header),
         .first_offset = first,
         .last_offset = model::offset(header.base_offset + header.last_offset_delta),
         .timestamp = header.max_timestamp});
}

void producer_state::end_transaction(int64_t producer_id, producer_entry& entry,
                                     model::offset marker_offset, bool commit) {
    if (!entry.transaction_first_offset) {
        return;
    }
    auto first = *entry.transaction_first_offset;
    _open.erase(first);
    if (!commit) {
        _aborted.push_back({producer_id, first, marker_offset});
    }
    entry.transaction_first_offset.reset();
}

std::optional<model::offset> producer_state::first_unstable_offset() const {
    if (_open.empty()) {
        return std::nullopt;
    }
    return _open.begin()->first;
}

std::vector<aborted_transaction> producer_state::aborted_between(model::offset from,
                                                                 model::offset to) const {
    std::vector<aborted_transaction> out;
    auto it = std::lower_bound(
        _aborted.begin(), _aborted.end(), from,
        [](const aborted_transaction& a, model::offset o) { return a.last_offset < o; });
    for (; it != _aborted.end(); ++it) {
        if (it->first_offset <= to) {
            out.push_back(*it);
        }
    }
    return out;
}

void producer_state::forget_aborted_before(model::offset log_start) {
    while (!_aborted.empty() && _aborted.front().last_offset < log_start) {
        _aborted.pop_front();
    }
}

void producer_state::apply_marker(const model::record_batch_header& header,
                                  int32_t coordinator_epoch, bool commit) {
    auto& entry = _producers[header.producer_id];
    end_transaction(header.producer_id, entry, model::offset(header.base_offset), commit);
    if (entry.epoch != header.producer_epoch) {
        entry.epoch = header.producer_epoch;
        entry.batches.clear();
    }
    entry.coordinator_epoch = coordinator_epoch;
    entry.last_timestamp = header.max_timestamp;
}

size_t producer_state::expire(int64_t now_ms, int64_t expiration_ms) {
    return std::erase_if(_producers, [&](const auto& p) {
        const auto& e = p.second;
        return !e.transaction_first_offset && now_ms - e.last_timestamp >= expiration_ms;
    });
}

const producer_entry* producer_state::find(int64_t producer_id) const {
    auto it = _producers.find(producer_id);
    return it == _producers.end() ? nullptr : &it->second;
}

std::vector<uint8_t> producer_state::encode() const {
    std::vector<uint8_t> out;
    put_fixed<uint32_t>(out, snapshot_magic);
    put_fixed<uint32_t>(out, snapshot_version);
    put_fixed<uint32_t>(out, static_cast<uint32_t>(_producers.size()));
    for (const auto& [id, e] : _producers) {
        put_fixed<int64_t>(out, id);
        put_fixed<int16_t>(out, e.epoch);
        put_fixed<int32_t>(out, e.coordinator_epoch);
        put_fixed<int64_t>(out, e.last_timestamp);
        put_fixed<int64_t>(out,
                           e.transaction_first_offset ? (*e.transaction_first_offset)()
                                                      : no_transaction);
        put_fixed<uint8_t>(out, static_cast<uint8_t>(e.batches.size()));
        for (const auto& b : e.batches) {
            put_fixed<int32_t>(out, b.first_sequence);
            put_fixed<int32_t>(out, b.last_sequence);
            put_fixed<int64_t>(out, b.first_offset());
            put_fixed<int64_t>(out, b.last_offset());
            put_fixed<int64_t>(out, b.timestamp);
        }
    }
    put_fixed<uint32_t>(out, static_cast<uint32_t>(_aborted.size()));
    for (const auto& a : _aborted) {
        put_fixed<int64_t>(out, a.producer_id);
        put_fixed<int64_t>(out, a.first_offset());
        put_fixed<int64_t>(out, a.last_offset());
    }
    put_fixed<uint32_t>(out, base::crc32c(out));
    return out;
}

result<producer_state> producer_state::decode(const std::vector<uint8_t>& bytes) {
    auto corrupt = [](std::string_view why) {
        return base::make_error(errc::corrupted,
                                fmt::format("producer snapshot: {}", why));
    };
    constexpr size_t fixed = 4 + 4 + 4 + 4;
    if (auto problem = crc_trailer_problem(bytes, fixed)) {
        return corrupt(*problem);
    }
    size_t body = bytes.size() - 4;
    size_t pos = 0;
    if (get_fixed<uint32_t>(bytes, pos) != snapshot_magic
        || get_fixed<uint32_t>(bytes, pos) != snapshot_version) {
        return corrupt("unknown format");
    }
    producer_state state;
    uint32_t count = get_fixed<uint32_t>(bytes, pos);
    for (uint32_t i = 0; i < count; ++i) {
        if (body - pos < entry_bytes) {
            return corrupt("cut short");
        }
        auto id = get_fixed<int64_t>(bytes, pos);
        producer_entry e;
        e.epoch = get_fixed<int16_t>(bytes, pos);
        e.coordinator_epoch = get_fixed<int32_t>(bytes, pos);
        e.last_timestamp = get_fixed<int64_t>(bytes, pos);
        if (auto txn = get_fixed<int64_t>(bytes, pos); txn != no_transaction) {
            e.transaction_first_offset = model::offset(txn);
        }
        auto batches = get_fixed<uint8_t>(bytes, pos);
        if (batches > retained_batches || body - pos < batches * batch_bytes) {
            return corrupt("bad batch count");
        }
        for (uint8_t b = 0; b < batches; ++b) {
            producer_batch pb;
            pb.first_sequence = get_fixed<int32_t>(bytes, pos);
            pb.last_sequence = get_fixed<int32_t>(bytes, pos);
            pb.first_offset = model::offset(get_fixed<int64_t>(bytes, pos));
            pb.last_offset = model::offset(get_fixed<int64_t>(bytes, pos));
            pb.timestamp = get_fixed<int64_t>(bytes, pos);
            e.batches.push_back(pb);
        }
        if (e.transaction_first_offset) {
            state._open.emplace(*e.transaction_first_offset, id);
        }
        state._producers.emplace(id, std::move(e));
    }
    if (body - pos < 4) {
        return corrupt("cut short");
    }
    uint32_t aborted = get_fixed<uint32_t>(bytes, pos);
    if ((body - pos) / aborted_bytes < aborted) {
        return corrupt("bad aborted transaction count");
    }
    for (uint32_t i = 0; i < aborted; ++i) {
        aborted_transaction a;
        a.producer_id = get_fixed<int64_t>(bytes, pos);
        a.first_offset = model::offset(get_fixed<int64_t>(bytes, pos));
        a.last_offset = model::offset(get_fixed<int64_t>(bytes, pos));
        state._aborted.push_back(a);
    }
    if (pos != body) {
        return corrupt("trailing bytes");
    }
    return state;
}

} // namespace storage
