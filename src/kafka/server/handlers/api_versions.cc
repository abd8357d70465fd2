#include "kafka/protocol/messages/api_versions.h"
#include "kafka/protocol/error_code.h"
#include "kafka/server/api_table.h"
#include "kafka/server/handlers/handlers.h"

namespace kafka::handlers {
namespace {

protocol::api_versions_response advertised() {
    protocol::api_versions_response response;
    for (const auto& api : served_apis()) {
        response.api_keys.push_back({.api_key = api.key,
                                     .min_version = api.min_version,
                                     .max_version = api.max_version});
    }
    return response;
}

} // namespace

result api_versions(request_context& ctx) {
    auto request = decode_request<protocol::api_versions_request>(ctx);
    if (!request) {
        // KIP-511: an ApiVersions body this broker cannot parse is answered,
        // not dropped, so the client can fall back.
        auto response = advertised();
        response.error_code = static_cast<int16_t>(error_code::invalid_request);
        co_return encode_response(response, ctx.version());
    }
    co_return encode_response(advertised(), ctx.version());
}

base::iobuf api_versions_unsupported() {
    auto response = advertised();
    response.error_code = static_cast<int16_t>(error_code::unsupported_version);
    return encode_response(response, 0);
}

} // namespace kafka::handlers
