#pragma once

#include "base/iobuf.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace model {

// Reads a chain of fragments front to back without linearizing it, for
// the records section of a batch (received, read from disk or
// decompressed: always an iobuf). A field inside one fragment is read in
// place; one that straddles two (rare: fragments are large, fields small)
// is gathered into the caller's scratch space. Holds a share of its bytes
// and its position as indices, so moving a parser is safe.
class iobuf_parser {
public:
    explicit iobuf_parser(base::iobuf buf);

    size_t remaining() const { return _remaining; }

    // A zigzag varint as the record format uses it (at most 5 bytes, 32
    // bits); nullopt when malformed or cut short by the end.
    std::optional<int32_t> read_varint();

    // The next n bytes as one span: in place when they lie in one
    // fragment, else copied into `scratch` (valid while scratch is not
    // changed). nullopt, reading nothing, when fewer than n remain.
    std::optional<std::span<const uint8_t>> read_bytes(size_t n,
                                                       std::vector<uint8_t>& scratch);

private:
    std::optional<uint64_t> read_unsigned(size_t max_len);
    // The rest of the current fragment.
    std::span<const uint8_t> contiguous() const;
    void skip(size_t n);
    // Copies the next n bytes out without moving on.
    void gather(size_t n, uint8_t* out) const;
    // Steps past exhausted fragments, so contiguous() shows the next byte.
    void settle();

    base::iobuf _buf;
    size_t _frag{0};
    size_t _pos{0};
    size_t _remaining;
};

} // namespace model
