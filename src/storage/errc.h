#pragma once

#include "base/result.h"

#include <string_view>

namespace storage {

// Why a storage operation failed. The Kafka layer maps io_error, no_space
// and corrupted to KAFKA_STORAGE_ERROR and offset_out_of_range to
// OFFSET_OUT_OF_RANGE.
enum class errc {
    // A system call failed for a reason other than a full disk.
    io_error,
    // ENOSPC (or EDQUOT): nothing was written; a retry may succeed once
    // space returns.
    no_space,
    // Bytes on disk fail their checks (CRC, lengths, offsets) somewhere a
    // crash cannot explain; the partition refuses to serve past them.
    corrupted,
    // An offset below the log start or beyond the log end.
    offset_out_of_range,
    // A caller's argument that breaks the operation's contract in a way a
    // caller can cause (a truncation point inside a batch).
    invalid_argument,
    // The file or key asked for does not exist.
    not_found,
    // A producer's batch the partition refuses (see producer_state.h):
    // its sequence does not follow the producer's last one, its epoch is
    // older than the producer's, or it is a plain batch while the
    // producer's transaction is open.
    out_of_order_sequence,
    invalid_producer_epoch,
    invalid_txn_state,
};

std::string_view to_string(errc code);

template<typename T>
using result = base::result<T, errc>;

} // namespace storage
