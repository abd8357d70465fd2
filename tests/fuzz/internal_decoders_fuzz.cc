// The decoders of node-to-node bytes: an RPC frame's header, a batch of
// Raft messages and a Raft configuration entry, from arbitrary input. Nothing reads out of bounds,
// whatever decodes encodes back to the same bytes, and an oversized payload
// is refused rather than trusted.

#include "base/iobuf.h"
#include "base/vassert.h"
#include "raft/types.h"
#include "raft/wire.h"
#include "rpc/frame.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    constexpr uint32_t max_payload = 1 << 16;
    if (size >= rpc::header_bytes) {
        std::array<uint8_t, rpc::header_bytes> head{};
        std::memcpy(head.data(), data, head.size());
        auto decoded = rpc::decode_header(head, max_payload);
        if (decoded.value) {
            vassert(decoded.value->payload_bytes <= max_payload,
                    "oversized payload taken");
            vassert(rpc::encode_header(*decoded.value) == head,
                    "header does not round-trip");
        } else {
            vassert(!decoded.error.empty(), "a refusal without a reason");
        }
    }
    auto bytes = base::iobuf::copy_of(std::span<const uint8_t>(data, size));
    if (auto b = raft::decode_batch(bytes)) {
        vassert(raft::encode_batch(*b) == bytes, "raft batch does not round-trip");
    }
    if (auto c = raft::decode_configuration(bytes)) {
        vassert(raft::encode_configuration(*c) == bytes,
                "configuration does not round-trip");
    }
    return 0;
}
