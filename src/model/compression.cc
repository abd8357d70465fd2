#include "model/compression.h"

#include "base/vassert.h"
#include "model/big_endian.h"

#include <fmt/format.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <vector>

namespace model {
namespace {

// ---- output buffers ----------------------------------------------------

// Decoder output, in fragments allocated as the output grows: small first
// (most batches are small), doubling up to iobuf's largest fragment, and
// never more in total than the bound plus one byte: the byte that proves
// a stream too large.
class bounded_sink {
public:
    static constexpr size_t first_chunk_bytes = 4096;

    explicit bounded_sink(size_t max_bytes)
      : _max(max_bytes)
      , _limit(max_bytes == SIZE_MAX ? SIZE_MAX : max_bytes + 1) {}

    // Where the codec writes next, at least `at_least` bytes of it (which
    // the caller has checked against the bound); empty once the limit is
    // reached.
    std::span<uint8_t> space(size_t at_least = 1) {
        if (_capacity - _used < at_least) {
            flush();
            size_t n = std::max(at_least, std::min(_next_chunk, _limit - _total));
            if (n == 0 || n > _limit - _total) {
                return {};
            }
            _chunk.reset(new uint8_t[n]);
            _capacity = n;
            _next_chunk = std::min(_next_chunk * 2, base::iobuf::max_fragment_bytes);
        }
        return {_chunk.get() + _used, _capacity - _used};
    }
    void commit(size_t n) {
        vassert(n <= _capacity - _used, "commit {} past the chunk's {} free bytes", n,
                _capacity - _used);
        _used += n;
        _total += n;
    }
    bool over_limit() const { return _total > _max; }
    size_t size_bytes() const { return _total; }
    base::iobuf finish() {
        flush();
        return std::move(_out);
    }

private:
    void flush() {
        if (_used > 0) {
            _out.append(base::iobuf::adopt(std::move(_chunk), _used));
        }
        _chunk.reset();
        _capacity = 0;
        _used = 0;
    }

    size_t _max;
    size_t _limit;
    size_t _total{0};
    size_t _next_chunk{first_chunk_bytes};
    std::shared_ptr<uint8_t[]> _chunk;
    size_t _capacity{0};
    size_t _used{0};
    base::iobuf _out;
};

// Encoder output: one contiguous buffer grown to the codec's stated bound
// before each call, then copied once into a right-sized iobuf, so a batch
// never keeps the slack of a worst-case bound alive.
class growing_output {
public:
    uint8_t* reserve(size_t n) {
        if (_buf.size() - _used < n) {
            _buf.resize(std::max(_used + n, _buf.size() + _buf.size() / 2));
        }
        return _buf.data() + _used;
    }
    size_t available() const { return _buf.size() - _used; }
    void commit(size_t n) {
        vassert(n <= _buf.size() - _used, "encoder wrote past its buffer");
        _used += n;
    }
    base::iobuf finish() const { return base::iobuf::copy_of({_buf.data(), _used}); }

private:
    std::vector<uint8_t> _buf;
    size_t _used{0};
};

// The bytes of `in` as one span: in place when it is one fragment, else
// gathered into `scratch`.
std::span<const uint8_t> contiguous(const base::iobuf& in,
                                    std::vector<uint8_t>& scratch) {
    if (in.fragments().size() == 1) {
        return in.fragments().front().bytes();
    }
    scratch = in.to_vector();
    return scratch;
}

base::error<batch_errc> too_large(compression_type type, size_t max_bytes) {
    return base::make_error(
        batch_errc::uncompressed_too_large,
        fmt::format("{} payload expands beyond {} bytes", to_string(type), max_bytes));
}

base::error<batch_errc> corrupt(compression_type type, std::string_view why) {
    return base::make_error(batch_errc::bad_compressed_data,
                            fmt::format("{} payload: {}", to_string(type), why));
}

// ---- gzip --------------------------------------------------------------

constexpr int gzip_window_bits = 16 + MAX_WBITS; // gzip framing, not zlib's

struct inflate_stream {
    z_stream zs{};
    inflate_stream() {
        vassert(inflateInit2(&zs, gzip_window_bits) == Z_OK, "inflateInit2 failed");
    }
    ~inflate_stream() { inflateEnd(&zs); }
    inflate_stream(const inflate_stream&) = delete;
    inflate_stream& operator=(const inflate_stream&) = delete;
};

batch_result<base::iobuf> gunzip(const base::iobuf& in, size_t max_bytes) {
    constexpr auto type = compression_type::gzip;
    inflate_stream s;
    bounded_sink out(max_bytes);
    auto frag = in.fragments().begin();
    while (true) {
        if (s.zs.avail_in == 0 && frag != in.fragments().end()) {
            vassert(frag->size() <= UINT_MAX, "fragment of {} bytes", frag->size());
            s.zs.next_in = const_cast<Bytef*>(frag->data());
            s.zs.avail_in = static_cast<uInt>(frag->size());
            ++frag;
        }
        auto space = out.space();
        if (space.empty()) {
            return too_large(type, max_bytes);
        }
        s.zs.next_out = space.data();
        s.zs.avail_out = static_cast<uInt>(std::min<size_t>(space.size(), UINT_MAX));
        size_t offered = s.zs.avail_out;
        int rc = inflate(&s.zs, Z_NO_FLUSH);
        out.commit(offered - s.zs.avail_out);
        if (out.over_limit()) {
            return too_large(type, max_bytes);
        }
        bool input_done = s.zs.avail_in == 0 && frag == in.fragments().end();
        if (rc == Z_STREAM_END) {
            if (input_done) {
                return out.finish();
            }
            inflateReset(&s.zs); // another gzip member follows
        } else if (rc == Z_BUF_ERROR && input_done) {
            return corrupt(type, "stream ends early");
        } else if (rc != Z_OK) {
            return corrupt(type, s.zs.msg ? s.zs.msg : "inflate failed");
        }
    }
}

base::iobuf gzip(const base::iobuf& in, std::optional<int> level) {
    z_stream zs{};
    int lvl = level ? std::clamp(*level, 1, 9) : Z_DEFAULT_COMPRESSION;
    vassert(deflateInit2(&zs, lvl, Z_DEFLATED, gzip_window_bits, 8, Z_DEFAULT_STRATEGY)
                == Z_OK,
            "deflateInit2 failed");
    growing_output out;
    out.reserve(deflateBound(&zs, static_cast<uLong>(in.size_bytes())));
    auto frag = in.fragments().begin();
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (zs.avail_in == 0 && frag != in.fragments().end()) {
            zs.next_in = const_cast<Bytef*>(frag->data());
            zs.avail_in = static_cast<uInt>(frag->size());
            ++frag;
        }
        // Once the last fragment is loaded, finish: deflate drains it first.
        int flush = frag == in.fragments().end() ? Z_FINISH : Z_NO_FLUSH;
        zs.next_out = out.reserve(64 * 1024);
        zs.avail_out = static_cast<uInt>(std::min<size_t>(out.available(), UINT_MAX));
        size_t offered = zs.avail_out;
        rc = deflate(&zs, flush);
        vassert(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR, "deflate: {}", rc);
        out.commit(offered - zs.avail_out);
    }
    deflateEnd(&zs);
    return out.finish();
}

// ---- snappy ------------------------------------------------------------

// xerial's framing (snappy-java's SnappyOutputStream): magic, then two
// big-endian int32s (version 1, compatible version 1), then blocks.
constexpr std::array<uint8_t, 8> xerial_magic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t xerial_header_bytes = 16;
// snappy-java's default, the uncompressed size of one block.
constexpr size_t xerial_block_bytes = 32 * 1024;

bool starts_with_xerial_header(std::span<const uint8_t> in) {
    return in.size() >= xerial_header_bytes
        && std::equal(xerial_magic.begin(), xerial_magic.end(), in.begin());
}

// One raw snappy block into `out`. The block states its uncompressed
// length up front, so the bound is checked before anything is allocated;
// small blocks share the sink's chunks rather than take one each.
batch_result<void> unsnappy_block(std::span<const uint8_t> block, size_t max_bytes,
                                  bounded_sink& out) {
    constexpr auto type = compression_type::snappy;
    auto src = reinterpret_cast<const char*>(block.data());
    size_t n = 0;
    if (!snappy::GetUncompressedLength(src, block.size(), &n)) {
        return corrupt(type, "bad block length");
    }
    if (n > max_bytes - out.size_bytes()) {
        return too_large(type, max_bytes);
    }
    if (n == 0) {
        return base::ok;
    }
    auto space = out.space(n);
    if (space.size() < n
        || !snappy::RawUncompress(src, block.size(),
                                  reinterpret_cast<char*>(space.data()))) {
        return corrupt(type, "bad block");
    }
    out.commit(n);
    return base::ok;
}

batch_result<base::iobuf> unsnappy_xerial(std::span<const uint8_t> in, size_t max_bytes) {
    constexpr auto type = compression_type::snappy;
    bounded_sink out(max_bytes);
    size_t pos = xerial_header_bytes;
    while (pos < in.size()) {
        auto rest = in.subspan(pos);
        // snappy-java reads concatenated streams, header and all.
        if (starts_with_xerial_header(rest)) {
            pos += xerial_header_bytes;
            continue;
        }
        if (rest.size() < 4) {
            return corrupt(type, "truncated xerial block length");
        }
        uint32_t len = big_endian::read<uint32_t>(rest.data());
        if (len > rest.size() - 4) {
            return corrupt(type, "xerial block runs past the payload");
        }
        auto done = unsnappy_block(rest.subspan(4, len), max_bytes, out);
        if (!done) {
            return done.error_value();
        }
        pos += 4 + size_t{len};
    }
    return out.finish();
}

batch_result<base::iobuf> unsnappy(const base::iobuf& in, size_t max_bytes) {
    std::vector<uint8_t> scratch;
    auto bytes = contiguous(in, scratch);
    if (starts_with_xerial_header(bytes)) {
        return unsnappy_xerial(bytes, max_bytes);
    }
    bounded_sink out(max_bytes);
    auto done = unsnappy_block(bytes, max_bytes, out);
    if (!done) {
        return done.error_value();
    }
    return out.finish();
}

// One raw snappy block of `in` at out's end, after `prefix` bytes left
// for the caller; returns the block's compressed size.
size_t snappy_block(std::span<const uint8_t> in, growing_output& out, size_t prefix) {
    uint8_t* p = out.reserve(prefix + snappy::MaxCompressedLength(in.size()));
    size_t n = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(),
                        reinterpret_cast<char*>(p + prefix), &n);
    return n;
}

base::iobuf snappy(const base::iobuf& in, snappy_framing framing) {
    std::vector<uint8_t> scratch;
    auto bytes = contiguous(in, scratch);
    growing_output out;
    if (framing == snappy_framing::raw) {
        out.commit(snappy_block(bytes, out, 0));
        return out.finish();
    }
    uint8_t* header = out.reserve(xerial_header_bytes);
    std::memcpy(header, xerial_magic.data(), xerial_magic.size());
    big_endian::write<int32_t>(header + 8, 1);  // version
    big_endian::write<int32_t>(header + 12, 1); // compatible version
    out.commit(xerial_header_bytes);
    for (size_t pos = 0; pos < bytes.size(); pos += xerial_block_bytes) {
        auto block = bytes.subspan(pos, std::min(xerial_block_bytes, bytes.size() - pos));
        size_t n = snappy_block(block, out, 4);
        big_endian::write(out.reserve(4 + n), static_cast<uint32_t>(n));
        out.commit(4 + n);
    }
    return out.finish();
}

// ---- lz4 ---------------------------------------------------------------

struct lz4_decoder {
    LZ4F_dctx* ctx{nullptr};
    lz4_decoder() {
        vassert(!LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)),
                "LZ4F_createDecompressionContext failed");
    }
    ~lz4_decoder() { LZ4F_freeDecompressionContext(ctx); }
    lz4_decoder(const lz4_decoder&) = delete;
    lz4_decoder& operator=(const lz4_decoder&) = delete;
};

// Feeds a codec's streaming decoder the fragments of `in` and drains its
// output into a bounded sink. `step(src, src_len, dst, dst_len, failure)`
// consumes and produces what it can, reports how much through src_len and
// dst_len, and returns 0 once a frame is complete and flushed or a
// positive value while more is expected; on error it sets `failure`.
template<typename Step>
batch_result<base::iobuf> stream_decode(compression_type type, const base::iobuf& in,
                                        size_t max_bytes, Step step) {
    bounded_sink out(max_bytes);
    auto frag = in.fragments().begin();
    const uint8_t* src = nullptr;
    size_t left = 0;
    bool frame_done = false;
    while (true) {
        if (left == 0 && frag != in.fragments().end()) {
            src = frag->data();
            left = frag->size();
            ++frag;
        }
        bool input_done = left == 0 && frag == in.fragments().end();
        if (input_done && frame_done) {
            return out.finish();
        }
        auto space = out.space();
        if (space.empty()) {
            return too_large(type, max_bytes);
        }
        size_t consumed = left;
        size_t produced = space.size();
        const char* failure = nullptr;
        size_t hint = step(src, consumed, space.data(), produced, failure);
        if (failure) {
            return corrupt(type, failure);
        }
        out.commit(produced);
        if (out.over_limit()) {
            return too_large(type, max_bytes);
        }
        src += consumed;
        left -= consumed;
        frame_done = hint == 0;
        bool progress = consumed > 0 || produced > 0;
        if (!progress && !(frame_done && input_done)) {
            return corrupt(type, input_done ? "stream ends early" : "decoder stalled");
        }
    }
}

batch_result<base::iobuf> unlz4(const base::iobuf& in, size_t max_bytes) {
    lz4_decoder d;
    return stream_decode(compression_type::lz4, in, max_bytes,
                         [&d](const uint8_t* src, size_t& src_len, uint8_t* dst,
                              size_t& dst_len, const char*& failure) -> size_t {
                             size_t hint = LZ4F_decompress(d.ctx, dst, &dst_len, src,
                                                           &src_len, nullptr);
                             if (LZ4F_isError(hint)) {
                                 failure = LZ4F_getErrorName(hint);
                             }
                             return hint;
                         });
}

base::iobuf lz4(const base::iobuf& in, std::optional<int> level) {
    // What Kafka's Java writer produces, so Java consumers read it: 64 KiB
    // independent blocks, no content size, no checksums beyond the frame's.
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.compressionLevel =
        level ? std::clamp(*level, 0, LZ4F_compressionLevel_max()) : 0;
    LZ4F_cctx* ctx = nullptr;
    vassert(!LZ4F_isError(LZ4F_createCompressionContext(&ctx, LZ4F_VERSION)),
            "LZ4F_createCompressionContext failed");
    std::unique_ptr<LZ4F_cctx, decltype(&LZ4F_freeCompressionContext)> owner(
        ctx, &LZ4F_freeCompressionContext);
    growing_output out;
    auto check = [](size_t n) {
        vassert(!LZ4F_isError(n), "lz4 compression: {}", LZ4F_getErrorName(n));
        return n;
    };
    out.commit(check(LZ4F_compressBegin(ctx, out.reserve(LZ4F_HEADER_SIZE_MAX),
                                        LZ4F_HEADER_SIZE_MAX, &prefs)));
    for (const auto& f : in.fragments()) {
        size_t bound = LZ4F_compressBound(f.size(), &prefs);
        out.commit(check(LZ4F_compressUpdate(ctx, out.reserve(bound), bound, f.data(),
                                             f.size(), nullptr)));
    }
    size_t bound = LZ4F_compressBound(0, &prefs);
    out.commit(check(LZ4F_compressEnd(ctx, out.reserve(bound), bound, nullptr)));
    return out.finish();
}

// ---- zstd --------------------------------------------------------------

// zstd's own default limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 128 MiB), stated
// so it is a decision: Java producers at the highest levels declare windows
// this large even for small batches. The window is allocated but only the
// pages the output reaches are touched, and the output itself is bounded.
constexpr int zstd_window_log_max = 27;

batch_result<base::iobuf> unzstd(const base::iobuf& in, size_t max_bytes) {
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(),
                                                              &ZSTD_freeDCtx);
    vassert(dctx != nullptr, "ZSTD_createDCtx failed");
    ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, zstd_window_log_max);
    return stream_decode(compression_type::zstd, in, max_bytes,
                         [&dctx](const uint8_t* src, size_t& src_len, uint8_t* dst,
                                 size_t& dst_len, const char*& failure) -> size_t {
                             ZSTD_inBuffer ib{src, src_len, 0};
                             ZSTD_outBuffer ob{dst, dst_len, 0};
                             size_t hint = ZSTD_decompressStream(dctx.get(), &ob, &ib);
                             src_len = ib.pos;
                             dst_len = ob.pos;
                             if (ZSTD_isError(hint)) {
                                 failure = ZSTD_getErrorName(hint);
                             }
                             return hint;
                         });
}

base::iobuf zstd(const base::iobuf& in, std::optional<int> level) {
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(),
                                                              &ZSTD_freeCCtx);
    vassert(cctx != nullptr, "ZSTD_createCCtx failed");
    int lvl = level ? std::clamp(*level, ZSTD_minCLevel(), ZSTD_maxCLevel())
                    : ZSTD_defaultCLevel();
    auto check = [](size_t n) {
        vassert(!ZSTD_isError(n), "zstd compression: {}", ZSTD_getErrorName(n));
        return n;
    };
    check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, lvl));
    // A pledged size puts the content size in the frame and sizes the
    // window to the data, which spares decoders a large window.
    check(ZSTD_CCtx_setPledgedSrcSize(cctx.get(), in.size_bytes()));
    growing_output out;
    out.reserve(ZSTD_compressBound(in.size_bytes()));
    auto run = [&](ZSTD_inBuffer& ib, ZSTD_EndDirective mode) {
        size_t pending = 0;
        do {
            ZSTD_outBuffer ob{out.reserve(ZSTD_CStreamOutSize()), out.available(), 0};
            pending = check(ZSTD_compressStream2(cctx.get(), &ob, &ib, mode));
            out.commit(ob.pos);
        } while (mode == ZSTD_e_end ? pending != 0 : ib.pos < ib.size);
    };
    for (const auto& f : in.fragments()) {
        ZSTD_inBuffer ib{f.data(), f.size(), 0};
        run(ib, ZSTD_e_continue);
    }
    ZSTD_inBuffer none{nullptr, 0, 0};
    run(none, ZSTD_e_end);
    return out.finish();
}

} // namespace

std::string_view to_string(compression_type type) {
    switch (type) {
        case compression_type::none:
            return "none";
        case compression_type::gzip:
            return "gzip";
        case compression_type::snappy:
            return "snappy";
        case compression_type::lz4:
            return "lz4";
        case compression_type::zstd:
            return "zstd";
    }
    return "unknown";
}

base::iobuf compress(compression_type type, const base::iobuf& in,
                     const compress_options& options) {
    switch (type) {
        case compression_type::none:
            return in.share();
        case compression_type::gzip:
            return gzip(in, options.level);
        case compression_type::snappy:
            return snappy(in, options.snappy);
        case compression_type::lz4:
            return lz4(in, options.level);
        case compression_type::zstd:
            return zstd(in, options.level);
    }
    vunreachable("compression type {}", static_cast<int>(type));
}

batch_result<base::iobuf> decompress(compression_type type, const base::iobuf& in,
                                     size_t max_bytes) {
    switch (type) {
        case compression_type::none:
            if (in.size_bytes() > max_bytes) {
                return too_large(type, max_bytes);
            }
            return in.share();
        case compression_type::gzip:
            return gunzip(in, max_bytes);
        case compression_type::snappy:
            return unsnappy(in, max_bytes);
        case compression_type::lz4:
            return unlz4(in, max_bytes);
        case compression_type::zstd:
            return unzstd(in, max_bytes);
    }
    return base::make_error(batch_errc::unsupported_compression,
                            fmt::format("compression type {}", static_cast<int>(type)));
}

} // namespace model
