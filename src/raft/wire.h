#pragma once

#include "base/iobuf.h"
#include "raft/outbox.h"

#include <optional>

// A batch of Raft messages (raft::outbox) as bytes for the internal RPC.
// Big-endian, fixed-size fields; entries' data is shared with the buffer,
// never copied.

namespace raft {

base::iobuf encode_batch(const batch& b);
// None when the bytes are not a whole, well-formed batch.
std::optional<batch> decode_batch(const base::iobuf& bytes);

} // namespace raft
