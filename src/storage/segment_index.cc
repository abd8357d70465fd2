#include "storage/segment_index.h"

#include "base/crc.h"
#include "base/vassert.h"
#include "storage/fixed_width.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace storage {
namespace {

constexpr uint32_t offset_magic = 0x58444941; // "AIDX"
constexpr uint32_t time_magic = 0x58444954;   // "TIDX"
constexpr uint32_t format_version = 1;

struct file_header {
    uint32_t magic;
    uint64_t covered_bytes;
    uint32_t count;
    int64_t max_timestamp;
    int64_t max_timestamp_batch;
    int64_t next_offset;
};
constexpr size_t header_size = 4 + 4 + 8 + 4 + 8 + 8 + 8;
constexpr size_t trailer_size = 4;

std::vector<uint8_t> start_file(const file_header& h) {
    std::vector<uint8_t> out;
    put_fixed(out, h.magic);
    put_fixed(out, format_version);
    put_fixed(out, h.covered_bytes);
    put_fixed(out, h.count);
    put_fixed(out, h.max_timestamp);
    put_fixed(out, h.max_timestamp_batch);
    put_fixed(out, h.next_offset);
    return out;
}

base::iobuf finish_file(std::vector<uint8_t> out) {
    put_fixed(out, base::crc32c(out));
    return base::iobuf::copy_of(out);
}

// The header of an intact file of `entry_size`-byte entries with the
// expected magic; nullopt for anything else.
std::optional<file_header> check_file(const std::vector<uint8_t>& bytes, uint32_t magic,
                                      size_t entry_size) {
    if (bytes.size() < header_size + trailer_size) {
        return std::nullopt;
    }
    size_t body = bytes.size() - trailer_size;
    size_t pos = body;
    if (get_fixed<uint32_t>(bytes, pos) != base::crc32c(std::span(bytes.data(), body))) {
        return std::nullopt;
    }
    pos = 0;
    file_header h{};
    h.magic = get_fixed<uint32_t>(bytes, pos);
    uint32_t version = get_fixed<uint32_t>(bytes, pos);
    h.covered_bytes = get_fixed<uint64_t>(bytes, pos);
    h.count = get_fixed<uint32_t>(bytes, pos);
    h.max_timestamp = get_fixed<int64_t>(bytes, pos);
    h.max_timestamp_batch = get_fixed<int64_t>(bytes, pos);
    h.next_offset = get_fixed<int64_t>(bytes, pos);
    if (h.magic != magic || version != format_version
        || body - header_size != size_t{h.count} * entry_size) {
        return std::nullopt;
    }
    return h;
}

} // namespace

segment_index::segment_index(model::offset base, size_t interval_bytes)
  : _base(base)
  , _interval_bytes(interval_bytes)
  , _next_offset(base) {}

uint32_t segment_index::relative(model::offset o) const {
    int64_t rel = o() - _base();
    vassert(rel >= 0 && rel <= std::numeric_limits<uint32_t>::max(),
            "offset {} outside the segment at {}", o, _base);
    return static_cast<uint32_t>(rel);
}

void segment_index::add(const model::record_batch_header& header, uint64_t position,
                        size_t size_bytes) {
    vassert(position <= std::numeric_limits<uint32_t>::max(),
            "segment position {} beyond the index's range", position);
    model::offset base(header.base_offset);
    _next_offset = model::offset(header.base_offset + header.last_offset_delta + 1);
    if (_offsets.empty() || _bytes_since_offset_entry >= _interval_bytes) {
        _offsets.push_back({relative(base), static_cast<uint32_t>(position)});
        _bytes_since_offset_entry = 0;
    }
    _bytes_since_offset_entry += size_bytes;
    _bytes_since_time_entry += size_bytes;
    if (header.max_timestamp > _max_timestamp) {
        _max_timestamp = header.max_timestamp;
        _max_timestamp_batch = base;
        if (_times.empty() || _bytes_since_time_entry >= _interval_bytes) {
            _times.push_back({header.max_timestamp, relative(base)});
            _bytes_since_time_entry = 0;
        }
    }
}

uint64_t segment_index::position_for(model::offset target) const {
    if (target < _base) {
        return 0;
    }
    uint32_t rel = relative(
        std::min(target, model::offset(_base() + std::numeric_limits<uint32_t>::max())));
    auto it = std::upper_bound(
        _offsets.begin(), _offsets.end(), rel,
        [](uint32_t r, const offset_entry& e) { return r < e.relative_offset; });
    return it == _offsets.begin() ? 0 : std::prev(it)->position;
}

model::offset segment_index::scan_start_for_timestamp(int64_t timestamp) const {
    // The last entry still older than `timestamp`: everything up to and
    // including its batch is older, so the first match is at or after it.
    auto it = std::lower_bound(
        _times.begin(), _times.end(), timestamp,
        [](const time_entry& e, int64_t ts) { return e.timestamp < ts; });
    if (it == _times.begin()) {
        return _base;
    }
    return model::offset(_base() + std::prev(it)->relative_offset);
}

base::iobuf segment_index::encode_offsets(uint64_t covered_bytes) const {
    auto out =
        start_file({offset_magic, covered_bytes, static_cast<uint32_t>(_offsets.size()),
                    _max_timestamp, _max_timestamp_batch(), _next_offset()});
    for (const auto& e : _offsets) {
        put_fixed(out, e.relative_offset);
        put_fixed(out, e.position);
    }
    return finish_file(std::move(out));
}

base::iobuf segment_index::encode_times(uint64_t covered_bytes) const {
    auto out =
        start_file({time_magic, covered_bytes, static_cast<uint32_t>(_times.size()),
                    _max_timestamp, _max_timestamp_batch(), _next_offset()});
    for (const auto& e : _times) {
        put_fixed(out, e.timestamp);
        put_fixed(out, e.relative_offset);
    }
    return finish_file(std::move(out));
}

bool segment_index::decode(const base::iobuf& offsets, const base::iobuf& times,
                           uint64_t covered_bytes) {
    auto ob = offsets.to_vector();
    auto tb = times.to_vector();
    auto oh = check_file(ob, offset_magic, 8);
    auto th = check_file(tb, time_magic, 12);
    if (!oh || !th || oh->covered_bytes != covered_bytes
        || th->covered_bytes != covered_bytes) {
        return false;
    }
    segment_index fresh(_base, _interval_bytes);
    size_t pos = header_size;
    for (uint32_t i = 0; i < oh->count; ++i) {
        uint32_t rel = get_fixed<uint32_t>(ob, pos);
        uint32_t position = get_fixed<uint32_t>(ob, pos);
        fresh._offsets.push_back({rel, position});
    }
    pos = header_size;
    for (uint32_t i = 0; i < th->count; ++i) {
        int64_t ts = get_fixed<int64_t>(tb, pos);
        uint32_t rel = get_fixed<uint32_t>(tb, pos);
        fresh._times.push_back({ts, rel});
    }
    fresh._max_timestamp = oh->max_timestamp;
    fresh._max_timestamp_batch = model::offset(oh->max_timestamp_batch);
    fresh._next_offset = model::offset(oh->next_offset);
    // A closed segment takes no more batches, but keep the spacing sane.
    fresh._bytes_since_offset_entry = _interval_bytes;
    fresh._bytes_since_time_entry = _interval_bytes;
    *this = std::move(fresh);
    return true;
}

} // namespace storage
