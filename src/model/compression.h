#pragma once

#include "base/iobuf.h"
#include "model/errc.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

// The codecs of Kafka's record batches: the compressed bytes of a batch are
// its records section, as one stream of the codec's format.

namespace model {

// Bits 0-2 of a batch's attributes; 5-7 are not assigned.
enum class compression_type : uint8_t {
    none = 0,
    gzip = 1,
    snappy = 2,
    lz4 = 3,
    zstd = 4,
};

inline constexpr uint8_t max_compression_id = 4;

std::string_view to_string(compression_type type);

// Snappy comes in two framings: raw (one snappy block; librdkafka writes
// it) and xerial's (a 16-byte header, then blocks of a 4-byte big-endian
// length and a raw block; Java clients write it). Decoding takes either.
enum class snappy_framing { xerial, raw };

struct compress_options {
    // The codec's own default when unset; clamped to the codec's range.
    // Snappy has no levels.
    std::optional<int> level;
    // Java clients write xerial, and Java's reader takes raw only because
    // xerial's reader falls back to it: write what Java writes.
    snappy_framing snappy = snappy_framing::xerial;
};

// Compresses `in` into one stream of `type`'s format (gzip framing for
// gzip, the lz4 frame format for lz4, one zstd frame). `none` shares `in`.
// Codec failures on valid input are bugs and assert.
base::iobuf compress(compression_type type, const base::iobuf& in,
                     const compress_options& options = {});

// Decompresses `in`. At most max_bytes of output are produced: a stream
// that would expand further fails with uncompressed_too_large, before more
// than max_bytes (plus one fragment) is allocated, whatever the stream
// claims about its size. The output's fragments are filled in place by the
// codec, never copied afterwards. Concatenated gzip members, lz4 frames and
// zstd frames are decoded one after the other.
batch_result<base::iobuf> decompress(compression_type type, const base::iobuf& in,
                                     size_t max_bytes);

} // namespace model
