#pragma once

#include "base/iobuf.h"
#include "base/result.h"
#include "cluster/topic_table.h"

namespace cluster {

enum class errc {
    // Bytes of the metadata log that do not decode: a bug or a damaged
    // disk, never a client's input.
    bad_command,
};

// A command as it is stored in the metadata log: a type byte, then its
// fields big-endian, strings with a 4-byte length.
base::iobuf encode_command(const topic_command& cmd);
base::result<topic_command, errc> decode_command(const base::iobuf& bytes);

} // namespace cluster
