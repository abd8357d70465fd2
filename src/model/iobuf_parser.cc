#include "model/iobuf_parser.h"

#include "base/varint.h"
#include "base/vassert.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace model {

iobuf_parser::iobuf_parser(base::iobuf buf)
  : _buf(std::move(buf))
  , _remaining(_buf.size_bytes()) {
    settle();
}

void iobuf_parser::settle() {
    const auto& frags = _buf.fragments();
    while (_frag < frags.size() && _pos == frags[_frag].size()) {
        ++_frag;
        _pos = 0;
    }
}

std::span<const uint8_t> iobuf_parser::contiguous() const {
    if (_frag == _buf.fragments().size()) {
        return {};
    }
    return _buf.fragments()[_frag].bytes().subspan(_pos);
}

void iobuf_parser::skip(size_t n) {
    vassert(n <= _remaining, "skip {} bytes with {} left", n, _remaining);
    _remaining -= n;
    while (n > 0) {
        size_t k = std::min(n, contiguous().size());
        _pos += k;
        n -= k;
        settle();
    }
}

void iobuf_parser::gather(size_t n, uint8_t* out) const {
    vassert(n <= _remaining, "gather {} bytes with {} left", n, _remaining);
    size_t frag = _frag;
    size_t pos = _pos;
    while (n > 0) {
        auto bytes = _buf.fragments()[frag].bytes().subspan(pos);
        size_t k = std::min(n, bytes.size());
        std::memcpy(out, bytes.data(), k);
        out += k;
        n -= k;
        ++frag;
        pos = 0;
    }
}

std::optional<uint64_t> iobuf_parser::read_unsigned(size_t max_len) {
    auto here = contiguous();
    base::varint::decoded d{};
    if (here.size() >= max_len || here.size() == _remaining) {
        d = base::varint::decode_unsigned(here, max_len);
    } else {
        std::array<uint8_t, base::varint::max_bytes64> buf{};
        size_t n = std::min(max_len, _remaining);
        gather(n, buf.data());
        d = base::varint::decode_unsigned({buf.data(), n}, max_len);
    }
    if (d.bytes == 0) {
        return std::nullopt;
    }
    skip(d.bytes);
    return d.value;
}

std::optional<int32_t> iobuf_parser::read_varint() {
    auto v = read_unsigned(base::varint::max_bytes32);
    if (!v) {
        return std::nullopt;
    }
    // A 5-byte varint holds at most 32 bits, so this is within int32.
    return static_cast<int32_t>(base::varint::zigzag_decode(*v));
}

std::optional<std::span<const uint8_t>> iobuf_parser::read_bytes(
    size_t n, std::vector<uint8_t>& scratch) {
    if (n > _remaining) {
        return std::nullopt;
    }
    auto here = contiguous();
    if (here.size() >= n) {
        skip(n);
        return here.first(n);
    }
    scratch.resize(n);
    gather(n, scratch.data());
    skip(n);
    return std::span<const uint8_t>(scratch);
}

} // namespace model
