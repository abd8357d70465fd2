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

// One row per API this broker serves: the versions it advertises in
// ApiVersions, and its handler. APIs without a row are not advertised and
// their requests close the connection.
struct api_entry {
    int16_t key;
    std::string_view name;
    int16_t min_version;
    int16_t max_version;
    int16_t first_flexible_version;
    handler serve;
};

std::span<const api_entry> served_apis();
const api_entry* find_api(int16_t key);

} // namespace kafka
