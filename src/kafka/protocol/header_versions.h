#pragma once

#include "kafka/protocol/messages/api_catalog.h"

#include <cstdint>

namespace kafka::protocol {

inline bool is_flexible(int16_t first_flexible_version, int16_t version) {
    return first_flexible_version >= 0 && version >= first_flexible_version;
}

// Request header v2 (with tagged fields) for flexible versions, else v1.
// (v0, without client_id, is only ControlledShutdown v0, which no broker of
// ours serves.)
inline int16_t request_header_version(int16_t first_flexible_version, int16_t version) {
    return is_flexible(first_flexible_version, version) ? 2 : 1;
}

// Response header v1 for flexible versions, else v0; ApiVersions always
// answers with v0 so that a client can read the answer before it knows
// which versions the broker has.
inline int16_t response_header_version(int16_t api, int16_t first_flexible_version,
                                       int16_t version) {
    if (api == api_key::api_versions) {
        return 0;
    }
    return is_flexible(first_flexible_version, version) ? 1 : 0;
}

} // namespace kafka::protocol
