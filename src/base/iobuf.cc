#include "base/iobuf.h"

#include "base/vassert.h"

#include <algorithm>
#include <cstring>

namespace base {

iobuf iobuf::copy_of(std::span<const uint8_t> bytes) {
    iobuf b;
    b.append(bytes);
    return b;
}

iobuf iobuf::copy_of(std::string_view bytes) {
    iobuf b;
    b.append(bytes);
    return b;
}

iobuf iobuf::adopt(std::shared_ptr<uint8_t[]> buf, size_t size) {
    iobuf b;
    if (size > 0) {
        b._frags.emplace_back(std::move(buf), size, 0, size);
        b._size = size;
    }
    return b;
}

void iobuf::push_new_fragment(size_t at_least) {
    // Grow geometrically with the chain, so many small appends make few
    // allocations, but never beyond max_fragment_bytes unless one append
    // needs more.
    size_t next = std::clamp(_size, min_fragment_bytes, max_fragment_bytes);
    size_t capacity = std::max(next, at_least);
    std::shared_ptr<uint8_t[]> buf(new uint8_t[capacity]);
    _frags.emplace_back(std::move(buf), capacity, 0, 0);
}

void iobuf::append(const void* data, size_t size) {
    auto src = static_cast<const uint8_t*>(data);
    while (size > 0) {
        if (_frags.empty() || _frags.back().spare() == 0 || !_frags.back().exclusive()) {
            push_new_fragment(std::min(size, max_fragment_bytes));
        }
        auto& tail = _frags.back();
        size_t n = std::min(size, tail.spare());
        std::memcpy(tail._buf.get() + tail._end, src, n);
        tail._end += n;
        _size += n;
        src += n;
        size -= n;
    }
}

void iobuf::append(iobuf&& other) {
    for (auto& f : other._frags) {
        _frags.push_back(std::move(f));
    }
    _size += other._size;
    other.clear();
}

iobuf iobuf::share(size_t pos, size_t len) const {
    vassert(pos <= _size && len <= _size - pos,
            "share [{}, +{}) outside iobuf of {} bytes", pos, len, _size);
    iobuf out;
    for (const auto& f : _frags) {
        if (len == 0) {
            break;
        }
        if (pos >= f.size()) {
            pos -= f.size();
            continue;
        }
        size_t n = std::min(len, f.size() - pos);
        out._frags.emplace_back(f._buf, f._capacity, f._begin + pos, f._begin + pos + n);
        out._size += n;
        len -= n;
        pos = 0;
    }
    return out;
}

void iobuf::trim_front(size_t n) {
    vassert(n <= _size, "trim {} bytes from iobuf of {}", n, _size);
    _size -= n;
    while (n > 0) {
        auto& f = _frags.front();
        if (n >= f.size()) {
            n -= f.size();
            _frags.pop_front();
        } else {
            f._begin += n;
            n = 0;
        }
    }
}

void iobuf::clear() {
    _frags.clear();
    _size = 0;
}

void iobuf::copy_out(size_t pos, std::span<uint8_t> out) const {
    vassert(pos <= _size && out.size() <= _size - pos,
            "copy [{}, +{}) outside iobuf of {} bytes", pos, out.size(), _size);
    size_t done = 0;
    for (const auto& f : _frags) {
        if (done == out.size()) {
            break;
        }
        if (pos >= f.size()) {
            pos -= f.size();
            continue;
        }
        size_t n = std::min(out.size() - done, f.size() - pos);
        std::memcpy(out.data() + done, f.data() + pos, n);
        done += n;
        pos = 0;
    }
}

std::vector<uint8_t> iobuf::to_vector() const {
    std::vector<uint8_t> v(_size);
    copy_out(0, v);
    return v;
}

std::string iobuf::to_string() const {
    std::string s(_size, '\0');
    copy_out(0, {reinterpret_cast<uint8_t*>(s.data()), s.size()});
    return s;
}

bool iobuf::operator==(const iobuf& other) const {
    return _size == other._size && to_vector() == other.to_vector();
}

} // namespace base
