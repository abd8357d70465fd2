// Whole request frames, as a connection reads them after the size prefix:
// the api key and version pick the header version and the request type.
// Decoding never misbehaves (ASan/UBSan), and whatever decodes re-encodes
// to bytes that decode and encode to the same bytes again.

#include "base/iobuf.h"
#include "base/vassert.h"
#include "kafka/protocol/header_versions.h"
#include "kafka/protocol/messages/all_messages.h"
#include "kafka/protocol/messages/api_catalog.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using namespace kafka::protocol;

template<typename Request>
void round_trip(std::span<const uint8_t> frame, int16_t header_version, int16_t version) {
    reader r(frame);
    request_header header;
    header.decode(r, header_version);
    Request request;
    request.decode(r, version);
    if (r.failed()) {
        return;
    }
    base::iobuf out;
    writer w(out);
    header.encode(w, header_version);
    request.encode(w, version);
    auto bytes = out.to_vector();
    reader again(bytes);
    request_header header_back;
    header_back.decode(again, header_version);
    Request back;
    back.decode(again, version);
    vassert(!again.failed(), "api {} v{}: re-encoded request does not decode: {}",
            header.api_key, version, again.error());
    vassert(again.remaining() == 0, "api {} v{}: trailing bytes", header.api_key,
            version);
    // Bytes, not structs, are compared: a float64 field may hold a NaN.
    base::iobuf again_out;
    writer again_w(again_out);
    header_back.encode(again_w, header_version);
    back.encode(again_w, version);
    vassert(again_out.to_vector() == bytes, "api {} v{}: round trip changed it",
            header.api_key, version);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> frame(data, size);
    reader fixed(frame);
    int16_t key = fixed.read_int16();
    int16_t version = fixed.read_int16();
    if (fixed.failed()) {
        return 0;
    }
    for (const auto& api : api_definitions) {
        if (api.key != key || version < api.min_version || version > api.max_version) {
            continue;
        }
        int16_t header_version =
            request_header_version(api.first_flexible_version, version);
#define ATOLL_FUZZ_API(k, request, response)                                             \
    if (key == k) {                                                                      \
        round_trip<request>(frame, header_version, version);                             \
    }
        ATOLL_KAFKA_APIS(ATOLL_FUZZ_API)
#undef ATOLL_FUZZ_API
    }
    return 0;
}
