#pragma once

#include "base/crc.h"
#include "base/iobuf.h"
#include "base/varint.h"
#include "model/record.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Records that own their bytes, and helpers to build, read and damage
// batches, for model_tests.

namespace model {

// Error codes by name in GoogleTest's messages.
inline void PrintTo(batch_errc code, std::ostream* os) {
    *os << to_string(code);
}

} // namespace model

namespace model::testing {

inline std::span<const uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::optional<std::string> string_of(std::optional<std::span<const uint8_t>> b) {
    if (!b) {
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(b->data()), b->size());
}

struct owned_record {
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<std::pair<std::string, std::optional<std::string>>> headers;
    int64_t timestamp{no_timestamp};
    int64_t offset{-1}; // filled in when read back

    bool operator==(const owned_record&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const owned_record& r) {
    return os << "record{offset " << r.offset << ", ts " << r.timestamp << ", key "
              << r.key.value_or("<null>") << ", value " << r.value.value_or("<null>")
              << ", " << r.headers.size() << " headers}";
}

// A record_data viewing `r`; valid as long as `r` is.
inline record_data view_of(const owned_record& r) {
    record_data d;
    if (r.key) {
        d.key = bytes_of(*r.key);
    }
    if (r.value) {
        d.value = bytes_of(*r.value);
    }
    for (const auto& [k, v] : r.headers) {
        record_header_view h{bytes_of(k), std::nullopt};
        if (v) {
            h.value = bytes_of(*v);
        }
        d.headers.push_back(h);
    }
    d.timestamp = r.timestamp;
    return d;
}

inline owned_record own(const record_view& v) {
    owned_record r{string_of(v.key), string_of(v.value), {}, v.timestamp, v.offset()};
    for (const auto& h : v.headers) {
        r.headers.emplace_back(*string_of(h.key), string_of(h.value));
    }
    return r;
}

// Every record of `batch`, or the first error's code.
inline batch_result<std::vector<owned_record>> read_all(
    const record_batch& batch,
    size_t max_bytes = parse_options::default_max_uncompressed_bytes) {
    auto reader = record_reader::open(batch, max_bytes);
    if (!reader) {
        return reader.error_value();
    }
    std::vector<owned_record> out;
    while (true) {
        auto next = reader->next();
        if (!next) {
            return next.error_value();
        }
        if (*next == nullptr) {
            return out;
        }
        out.push_back(own(**next));
    }
}

inline record_batch_builder& add_all(record_batch_builder& builder,
                                     const std::vector<owned_record>& records) {
    for (const auto& r : records) {
        builder.add_record(view_of(r));
    }
    return builder;
}

inline record_batch build(const std::vector<owned_record>& records,
                          compression_type type = compression_type::none) {
    record_batch_builder builder;
    builder.set_compression(type);
    return add_all(builder, records).build();
}

// `records` as read back from a batch at base offset `base`.
inline std::vector<owned_record> with_offsets(std::vector<owned_record> records,
                                              int64_t base = 0) {
    for (auto& r : records) {
        r.offset = base++;
    }
    return records;
}

// Rewrites the CRC of the batch at the front of `batch` to match its bytes,
// so a test (or the fuzzer) reaches the checks behind the CRC.
inline void fix_crc(std::span<uint8_t> batch) {
    auto crc = base::crc32c(batch.subspan(batch_layout::attributes));
    for (size_t i = 0; i < 4; ++i) {
        batch[batch_layout::crc + i] = static_cast<uint8_t>(crc >> (8 * (3 - i)));
    }
}

// The same bytes in an iobuf of `piece`-byte fragments, so every field
// straddles a boundary somewhere.
inline base::iobuf fragmented(std::span<const uint8_t> bytes, size_t piece) {
    base::iobuf out;
    for (size_t pos = 0; pos < bytes.size(); pos += piece) {
        size_t n = std::min(piece, bytes.size() - pos);
        std::shared_ptr<uint8_t[]> buf(new uint8_t[n]);
        std::memcpy(buf.get(), bytes.data() + pos, n);
        out.append(base::iobuf::adopt(std::move(buf), n));
    }
    return out;
}

// Raw record bytes, for records the builder would never write.
class raw_record {
public:
    raw_record& varint(int64_t v) {
        uint8_t buf[base::varint::max_bytes64];
        size_t n = base::varint::encode_unsigned(base::varint::zigzag_encode(v), buf);
        _body.insert(_body.end(), buf, buf + n);
        return *this;
    }
    raw_record& raw(std::span<const uint8_t> b) {
        _body.insert(_body.end(), b.begin(), b.end());
        return *this;
    }
    raw_record& sized(std::optional<std::string_view> s) {
        if (!s) {
            return varint(-1);
        }
        varint(static_cast<int64_t>(s->size()));
        return raw(bytes_of(*s));
    }
    // attributes, timestampDelta, offsetDelta, key, value, no headers.
    static raw_record simple(int32_t offset_delta,
                             std::optional<std::string_view> key = "k",
                             std::optional<std::string_view> value = "v") {
        raw_record r;
        r._body.push_back(0);
        r.varint(0).varint(offset_delta).sized(key).sized(value).varint(0);
        return r;
    }
    const std::vector<uint8_t>& body() const { return _body; }
    // The record as it sits in a batch: its length, then its body.
    std::vector<uint8_t> framed() const {
        raw_record out;
        out.varint(static_cast<int64_t>(_body.size())).raw(_body);
        return out._body;
    }

private:
    std::vector<uint8_t> _body;
};

// A batch of `header`'s fields around `records` (stored as given), with
// its length and CRC made to match.
inline std::vector<uint8_t> raw_batch(record_batch_header header,
                                      std::span<const uint8_t> records) {
    header.batch_length =
        static_cast<int32_t>(batch_layout::min_batch_length + records.size());
    std::vector<uint8_t> out(batch_layout::header_bytes);
    encode_header(header,
                  std::span<uint8_t, batch_layout::header_bytes>(out.data(), out.size()));
    out.insert(out.end(), records.begin(), records.end());
    fix_crc(out);
    return out;
}

inline std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& parts) {
    std::vector<uint8_t> out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

inline std::vector<uint8_t> to_bytes(const record_batch& b) {
    return b.data().to_vector();
}

inline const compression_type all_codecs[] = {
    compression_type::none, compression_type::gzip, compression_type::snappy,
    compression_type::lz4, compression_type::zstd};

} // namespace model::testing
