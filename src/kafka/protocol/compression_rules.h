#pragma once

#include "kafka/protocol/error_code.h"
#include "kafka/protocol/messages/api_catalog.h"
#include "model/compression.h"

#include <cstdint>

namespace kafka::protocol {

// Which batch compressions a request or response version may carry. zstd
// came with Produce v7 and Fetch v10 (KIP-110): a client that asks for
// less cannot read or has not declared zstd, so a zstd batch there is
// refused with UNSUPPORTED_COMPRESSION_TYPE rather than sent or stored.
constexpr bool compression_allowed(int16_t api, int16_t version,
                                   model::compression_type c) {
    if (c != model::compression_type::zstd) {
        return true;
    }
    if (api == api_key::produce) {
        return version >= 7;
    }
    if (api == api_key::fetch) {
        return version >= 10;
    }
    return true;
}

constexpr error_code compression_error(int16_t api, int16_t version,
                                       model::compression_type c) {
    return compression_allowed(api, version, c)
        ? error_code::none
        : error_code::unsupported_compression_type;
}

} // namespace kafka::protocol
