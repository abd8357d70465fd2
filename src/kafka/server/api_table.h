#pragma once

#include "kafka/server/request_context.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace kafka {

// Serves one request: decodes its body, does the work, encodes the
// response body. nullopt means the request was malformed and the
// connection is closed, as Kafka does.
using handler = runtime::awaitable<std::optional<base::iobuf>> (*)(request_context&);

// One row per Kafka API this build has definitions for: the versions the
// broker advertises (Kafka 4.0's ranges) and its handler, if it serves the
// API yet. APIs without a handler are not advertised, and their requests
// close the connection.
struct api_entry {
    int16_t key;
    std::string_view name;
    int16_t min_version;
    int16_t max_version;
    int16_t first_flexible_version;
    handler serve;
};

// Every API with definitions, served or not.
std::span<const api_entry> all_apis();
// The APIs with a handler: what ApiVersions advertises.
std::span<const api_entry> served_apis();
// A served API by key, or nullptr.
const api_entry* find_api(int16_t key);

} // namespace kafka
