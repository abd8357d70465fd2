#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace base {

// A chain of fragments of shared, reference-counted buffers. Appending one
// iobuf to another, and taking a sub-range (share), move references, not
// bytes: a batch read from a socket can be appended to a log and sent to a
// consumer without being copied. Bytes a fragment shows are never changed
// once another iobuf may see them; only a tail buffer that this iobuf owns
// alone is written into (its unused capacity).
class iobuf {
public:
    class fragment {
    public:
        fragment(std::shared_ptr<uint8_t[]> buf, size_t capacity, size_t begin,
                 size_t end)
          : _buf(std::move(buf))
          , _capacity(capacity)
          , _begin(begin)
          , _end(end) {}

        const uint8_t* data() const { return _buf.get() + _begin; }
        size_t size() const { return _end - _begin; }
        std::span<const uint8_t> bytes() const { return {data(), size()}; }

    private:
        friend class iobuf;
        size_t spare() const { return _capacity - _end; }
        bool exclusive() const { return _buf.use_count() == 1; }

        std::shared_ptr<uint8_t[]> _buf;
        size_t _capacity;
        size_t _begin;
        size_t _end;
    };

    // Fragment sizes for copied-in data: small first, bounded above.
    static constexpr size_t min_fragment_bytes = 512;
    static constexpr size_t max_fragment_bytes = 128 * 1024;

    iobuf() = default;
    iobuf(iobuf&&) noexcept = default;
    iobuf& operator=(iobuf&&) noexcept = default;
    // Copies are explicit (share()), so they are never made by accident.
    iobuf(const iobuf&) = delete;
    iobuf& operator=(const iobuf&) = delete;

    static iobuf copy_of(std::span<const uint8_t> bytes);
    static iobuf copy_of(std::string_view bytes);
    // Takes a buffer of which the first `size` bytes are filled, no copy.
    static iobuf adopt(std::shared_ptr<uint8_t[]> buf, size_t size);

    void append(const void* data, size_t size);
    void append(std::span<const uint8_t> bytes) { append(bytes.data(), bytes.size()); }
    void append(std::string_view s) { append(s.data(), s.size()); }
    // Moves the other chain's fragments onto this one's tail.
    void append(iobuf&& other);

    // A new iobuf showing [pos, pos+len) of this one, sharing its buffers.
    iobuf share(size_t pos, size_t len) const;
    iobuf share() const { return share(0, _size); }
    void trim_front(size_t n);
    void clear();

    size_t size_bytes() const { return _size; }
    bool empty() const { return _size == 0; }
    const std::deque<fragment>& fragments() const { return _frags; }

    // Copies [pos, pos+out.size()) out; the range must be inside.
    void copy_out(size_t pos, std::span<uint8_t> out) const;
    std::vector<uint8_t> to_vector() const;
    std::string to_string() const;

    // Content equality, whatever the fragmentation.
    bool operator==(const iobuf& other) const;

private:
    void push_new_fragment(size_t at_least);

    std::deque<fragment> _frags;
    size_t _size{0};
};

} // namespace base
