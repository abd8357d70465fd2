#pragma once

#include "base/iobuf.h"
#include "kafka/protocol/wire.h"

#include <cstdint>
#include <optional>
#include <vector>

// The coordinators' records (__consumer_offsets, __transaction_state) are
// Kafka's: an int16 version, then the struct at that version.

namespace kafka {

template<typename T>
std::vector<uint8_t> versioned(const T& message, int16_t version) {
    base::iobuf out;
    protocol::writer w(out);
    w.write_int16(version);
    message.encode(w, version);
    return out.to_vector();
}

// The struct after its version has been read; nullopt when malformed.
template<typename T>
std::optional<T> decode_as(protocol::reader& r, int16_t version) {
    T message;
    message.decode(r, version);
    if (r.failed()) {
        return std::nullopt;
    }
    return message;
}

} // namespace kafka
