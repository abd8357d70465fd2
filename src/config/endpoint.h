#pragma once

#include "config/errc.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace config {

struct endpoint {
    std::string host;
    uint16_t port{0};
};

// Parses a Kafka listener, "PLAINTEXT://host:port" or "host:port" (IPv6
// hosts in brackets). Only PLAINTEXT exists so far; other security
// protocols are rejected by name rather than ignored.
result<endpoint> parse_listener(std::string_view text);

// A controller voter: its node id and internal RPC address.
struct voter {
    int32_t id{0};
    endpoint address;
};

// Parses a static controller quorum, KRaft's `controller.quorum.voters`
// form: "1@host1:33145,2@host2:33145,3@host3:33145"; empty gives none.
// Ids are unique and non-negative.
result<std::vector<voter>> parse_voters(std::string_view text);

} // namespace config
