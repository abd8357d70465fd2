#pragma once

#include "base/result.h"

#include <string_view>

namespace model {

// Why a record batch (or its compressed records) was refused. The Kafka
// handlers map these to Kafka error codes: most are CORRUPT_MESSAGE;
// unsupported_magic is UNSUPPORTED_FOR_MESSAGE_FORMAT, invalid_timestamp is
// INVALID_TIMESTAMP, uncompressed_too_large is RECORD_TOO_LARGE.
enum class batch_errc {
    // Fewer bytes than the batch header, or than its batchLength, says.
    truncated,
    // batchLength smaller than a v2 header.
    bad_length,
    // Magic 0 or 1: the old message formats, which Kafka 4.0 no longer serves.
    unsupported_magic,
    // Any magic other than 0, 1 or 2.
    invalid_magic,
    crc_mismatch,
    // Compression bits 5-7.
    unsupported_compression,
    // A compressed payload the codec rejects, or one that ends early.
    bad_compressed_data,
    // Decompressing would exceed the caller's bound (a decompression bomb).
    uncompressed_too_large,
    // A negative count, a count the offsets or the records present cannot
    // match, or no records where at least one is required.
    invalid_record_count,
    // A record whose length, varints, key, value or headers do not parse.
    invalid_record,
    // Offset deltas not increasing, beyond lastOffsetDelta, or an offset
    // range that overflows.
    invalid_offsets,
    // A control record whose key (or marker value) is malformed.
    invalid_control_record,
    // A timestamp type a producer may not set (LogAppendTime).
    invalid_timestamp,
    // Bytes after the last record of a batch, or after the batch.
    trailing_bytes,
};

std::string_view to_string(batch_errc code);

template<typename T>
using batch_result = base::result<T, batch_errc>;

} // namespace model
