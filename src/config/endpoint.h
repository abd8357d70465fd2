#pragma once

#include "config/errc.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace config {

struct endpoint {
    std::string host;
    uint16_t port{0};
};

// Parses a Kafka listener, "PLAINTEXT://host:port" or "host:port" (IPv6
// hosts in brackets). Only PLAINTEXT exists so far; other security
// protocols are rejected by name rather than ignored.
result<endpoint> parse_listener(std::string_view text);

} // namespace config
