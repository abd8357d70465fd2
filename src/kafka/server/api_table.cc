#include "kafka/server/api_table.h"

#include "kafka/protocol/messages/api_catalog.h"
#include "kafka/server/handlers/handlers.h"

#include <array>

namespace kafka {
namespace {

// Looks the API up in the generated catalog so that the flexible-version
// boundary always comes from the definitions.
constexpr api_entry row(int16_t key, int16_t min_version, int16_t max_version,
                        handler serve) {
    for (const auto& def : protocol::api_definitions) {
        if (def.key == key) {
            return api_entry{
                key,  def.name, min_version, max_version, def.first_flexible_version,
                serve};
        }
    }
    return api_entry{key, "?", -1, -1, -1, nullptr};
}

// The versions each API is advertised with: Kafka 4.0's broker ranges.
constexpr std::array served{
    row(protocol::api_key::metadata, 0, 12, handlers::metadata),
    row(protocol::api_key::api_versions, 0, 4, handlers::api_versions),
};

// Every row's range must lie inside what the definitions can encode.
constexpr bool ranges_are_defined() {
    for (const auto& entry : served) {
        bool found = false;
        for (const auto& def : protocol::api_definitions) {
            if (def.key == entry.key) {
                found = entry.min_version >= def.min_version
                    && entry.max_version <= def.max_version
                    && entry.min_version <= entry.max_version;
            }
        }
        if (!found) {
            return false;
        }
    }
    return true;
}
static_assert(ranges_are_defined(), "an advertised range exceeds its definition");

} // namespace

std::span<const api_entry> served_apis() {
    return served;
}

const api_entry* find_api(int16_t key) {
    for (const auto& entry : served) {
        if (entry.key == key) {
            return &entry;
        }
    }
    return nullptr;
}

} // namespace kafka
