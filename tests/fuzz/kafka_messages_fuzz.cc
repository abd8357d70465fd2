// Every generated Kafka message, at every version, against arbitrary bytes:
// decoding never reads out of bounds (ASan) or hits undefined behaviour
// (UBSan), and whatever decodes re-encodes to bytes that decode to a
// message that encodes to the same bytes, of the size encoded_size()
// promised.
//
// Input: byte 0 picks the message, byte 1 the version, the rest is the body.

#include "base/iobuf.h"
#include "base/vassert.h"
#include "kafka/protocol/messages/all_messages.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using namespace kafka::protocol;

template<typename M>
void round_trip(std::span<const uint8_t> in, int16_t version, const char* name) {
    reader r(in);
    M decoded;
    decoded.decode(r, version);
    if (r.failed()) {
        return;
    }
    base::iobuf out;
    writer w(out);
    decoded.encode(w, version);
    vassert(w.written() == decoded.encoded_size(version), "{} v{}: size mismatch", name,
            version);
    auto bytes = out.to_vector();
    reader again(bytes);
    M back;
    back.decode(again, version);
    vassert(!again.failed(), "{} v{}: re-encoded bytes do not decode: {}", name, version,
            again.error());
    vassert(again.remaining() == 0, "{} v{}: trailing bytes", name, version);
    // Bytes, not structs, are compared: a float64 field may hold a NaN.
    base::iobuf again_out;
    writer again_w(again_out);
    back.encode(again_w, version);
    vassert(again_out.to_vector() == bytes, "{} v{}: round trip changed the message",
            name, version);
}

constexpr size_t message_count = 0
#define ATOLL_COUNT(type, lo, hi) +1
    ATOLL_KAFKA_MESSAGES(ATOLL_COUNT)
#undef ATOLL_COUNT
    ;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    size_t pick = data[0] % message_count;
    uint8_t version_pick = data[1];
    std::span<const uint8_t> body(data + 2, size - 2);
    size_t index = 0;
#define ATOLL_FUZZ_ONE(type, lo, hi)                                                     \
    if (pick == index++) {                                                               \
        round_trip<type>(body, static_cast<int16_t>(lo + version_pick % (hi - lo + 1)),  \
                         #type);                                                         \
    }
    ATOLL_KAFKA_MESSAGES(ATOLL_FUZZ_ONE)
#undef ATOLL_FUZZ_ONE
    return 0;
}
