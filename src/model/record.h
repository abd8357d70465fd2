#pragma once

#include "base/iobuf.h"
#include "model/errc.h"
#include "model/fundamental.h"
#include "model/iobuf_parser.h"
#include "model/record_batch.h"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <vector>

// The records inside a batch: read one at a time, checked as they are read.

namespace model {

// baseTimestamp + delta, wrapping as Kafka's Java longs do (and never a
// signed overflow here).
inline int64_t add_timestamp_delta(int64_t base, int64_t delta) {
    return static_cast<int64_t>(static_cast<uint64_t>(base)
                                + static_cast<uint64_t>(delta));
}

struct record_header_view {
    std::span<const uint8_t> key; // a header key is never null
    std::optional<std::span<const uint8_t>> value;
};

// A record's headers, kept encoded (already checked) and decoded as they
// are iterated: a record with a million two-byte headers costs no more
// memory than its bytes.
class record_headers {
public:
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = record_header_view;
        using difference_type = std::ptrdiff_t;
        using pointer = const record_header_view*;
        using reference = const record_header_view&;

        iterator() = default;
        reference operator*() const { return _current; }
        pointer operator->() const { return &_current; }
        iterator& operator++();
        iterator operator++(int) {
            auto before = *this;
            ++*this;
            return before;
        }
        // Iterators of the same headers; the end has no headers left.
        bool operator==(const iterator& other) const { return _left == other._left; }

    private:
        friend class record_headers;
        iterator(std::span<const uint8_t> encoded, int32_t left);
        void decode();

        std::span<const uint8_t> _rest;
        int32_t _left{0};
        record_header_view _current;
    };

    record_headers() = default;
    // `encoded` holds `count` headers, as record_reader has checked.
    record_headers(std::span<const uint8_t> encoded, int32_t count)
      : _encoded(encoded)
      , _count(count) {}

    int32_t size() const { return _count; }
    bool empty() const { return _count == 0; }
    iterator begin() const { return {_encoded, _count}; }
    iterator end() const { return {}; }

private:
    std::span<const uint8_t> _encoded;
    int32_t _count{0};
};

// One record as read from a batch. Its spans point into the batch's bytes,
// the decompressed records or the reader's scratch space: they are valid
// until the reader moves on.
struct record_view {
    model::offset offset;
    // What a consumer sees: baseTimestamp + delta, or the batch's
    // maxTimestamp under LogAppendTime.
    int64_t timestamp{no_timestamp};
    int32_t offset_delta{0};
    int64_t timestamp_delta{0};
    int8_t attributes{0}; // unused in v2, carried as found
    std::optional<std::span<const uint8_t>> key;
    std::optional<std::span<const uint8_t>> value;
    record_headers headers;
};

// The type in a control record's key (version int16, then type int16).
enum class control_record_type : int16_t {
    abort = 0,
    commit = 1,
    leader_change = 2,
    snapshot_header = 3,
    snapshot_footer = 4,
    kraft_version = 5,
    kraft_voters = 6,
};

struct control_record_key {
    int16_t version{0};
    int16_t type{0}; // a control_record_type, or one this build does not know
};

// A control record's key, as Kafka parses it: at least 4 bytes and a
// version >= 0. nullopt for a null or malformed key.
std::optional<control_record_key> parse_control_key(
    const std::optional<std::span<const uint8_t>>& key);

// What a transaction marker (a control batch's record) says: commit or
// abort, and the epoch of the coordinator that wrote it.
struct transaction_marker {
    bool commit{false};
    int32_t coordinator_epoch{-1};
};

// The marker a control batch carries; nullopt when it holds none (an empty
// batch left by compaction, another control type, or a malformed record).
std::optional<transaction_marker> read_transaction_marker(const record_batch& batch);

// Reads the records of a batch one by one, decompressing them first if
// need be. Checks as it reads: each record's length and fields, offset
// deltas strictly increasing within [0, lastOffsetDelta], control records'
// keys (and transaction markers' values), the header's record count
// against the records present, and no bytes after the last record. An
// error ends the reading; next() then keeps returning it.
class record_reader {
public:
    static batch_result<record_reader> open(const record_batch& batch,
                                            size_t max_uncompressed_bytes);

    // The next record, or nullptr after the last.
    batch_result<const record_view*> next();
    int32_t records_read() const { return _read; }

private:
    record_reader(const record_batch_header& header, base::iobuf records);
    batch_result<const record_view*> fail(batch_errc code, std::string message);
    batch_result<void> read_record();
    batch_result<void> check_control_record() const;

    record_batch_header _header;
    iobuf_parser _parser;
    int32_t _read{0};
    int32_t _last_delta{-1};
    std::optional<base::error<batch_errc>> _failure;
    record_view _current;
    std::vector<uint8_t> _scratch;
};

} // namespace model
