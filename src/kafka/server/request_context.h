#pragma once

#include "base/iobuf.h"
#include "kafka/protocol/messages/headers.h"
#include "kafka/protocol/wire.h"
#include "kafka/server/backend.h"
#include "kafka/server/server_config.h"
#include "runtime/memory_budget.h"
#include "runtime/smp.h"

#include <optional>
#include <string_view>

namespace kafka {

// One request on its way through a handler.
struct request_context {
    const protocol::request_header& header;
    protocol::reader& body;
    const server_config& config;
    backend& node;
    // Cleared by a handler whose request gets no response (Produce with
    // acks=0).
    bool respond{true};
    // The client's address, as group members report it.
    std::string_view client_host;
    // Memory the response holds (a fetch's records) until it is written.
    runtime::memory_budget::units response_memory;

    int16_t version() const { return header.api_version; }
};

// Decodes the request body as T at the request's version; nullopt when it
// is malformed (logged).
template<typename T>
std::optional<T> decode_request(request_context& ctx) {
    T request;
    request.decode(ctx.body, ctx.version());
    if (ctx.body.failed()) {
        return std::nullopt;
    }
    return request;
}

template<typename T>
base::iobuf encode_response(const T& response, int16_t version) {
    base::iobuf out;
    protocol::writer w(out);
    response.encode(w, version);
    return out;
}

} // namespace kafka
