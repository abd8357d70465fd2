#include "kafka/protocol/messages/api_versions.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/api_table.h"
#include "kafka/server/handlers/handlers.h"

#include <string>
#include <string_view>

namespace kafka::handlers {
namespace {

// Cluster-wide features (KIP-584) this broker has: transaction.version 2
// tells a client to use KIP-890 part 2 (Java's producer does). They never
// change, so their epoch is a constant.
struct feature {
    std::string_view name;
    int16_t min_version;
    int16_t max_version;
    int16_t finalized;
};
constexpr feature features[] = {{"transaction.version", 0, 2, 2}};
constexpr int64_t finalized_features_epoch = 1;
// Before v4 a supported range starting at 0 could not be told apart from
// no support (KAFKA-17011): such features are left out there, as Kafka does.
constexpr int16_t first_version_with_zero_minimum = 4;

protocol::api_versions_response advertised(int16_t version) {
    protocol::api_versions_response response;
    for (const auto& api : served_apis()) {
        response.api_keys.push_back({.api_key = api.key,
                                     .min_version = api.min_version,
                                     .max_version = api.max_version});
    }
    for (const auto& f : features) {
        if (f.min_version > 0 || version >= first_version_with_zero_minimum) {
            response.supported_features.push_back({.name = std::string(f.name),
                                                   .min_version = f.min_version,
                                                   .max_version = f.max_version});
        }
        response.finalized_features.push_back({.name = std::string(f.name),
                                               .max_version_level = f.finalized,
                                               .min_version_level = f.finalized});
    }
    response.finalized_features_epoch = finalized_features_epoch;
    return response;
}

} // namespace

result api_versions(request_context& ctx) {
    auto request = decode_request<protocol::api_versions_request>(ctx);
    if (!request) {
        // KIP-511: an ApiVersions body this broker cannot parse is answered,
        // not dropped, so the client can fall back.
        auto response = advertised(ctx.version());
        response.error_code = static_cast<int16_t>(error_code::invalid_request);
        co_return encode_response(response, ctx.version());
    }
    co_return encode_response(advertised(ctx.version()), ctx.version());
}

base::iobuf api_versions_unsupported() {
    auto response = advertised(0);
    response.error_code = static_cast<int16_t>(error_code::unsupported_version);
    return encode_response(response, 0);
}

} // namespace kafka::handlers
