#include "model/compression.h"
#include "model/tests/batch_test_support.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using namespace model;
using model::testing::all_codecs;
using model::testing::fragmented;

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> out(n);
    for (auto& b : out) {
        b = static_cast<uint8_t>(rng());
    }
    return out;
}

// Text-like bytes, so the codecs have something to find.
std::vector<uint8_t> compressible_bytes(size_t n) {
    std::vector<uint8_t> out(n);
    for (size_t i = 0; i < n; ++i) {
        out[i] = static_cast<uint8_t>("the quick brown fox "[i % 20] + (i / 4096) % 3);
    }
    return out;
}

batch_result<base::iobuf> round_trip(compression_type type, const base::iobuf& in,
                                     size_t max_bytes, const compress_options& o = {}) {
    return decompress(type, compress(type, in, o), max_bytes);
}

TEST(compression, every_codec_round_trips_inputs_of_many_sizes_and_shapes) {
    for (auto type : all_codecs) {
        for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{32 * 1024},
                         size_t{64 * 1024 + 1}, size_t{300 * 1000}}) {
            for (const auto& bytes : {random_bytes(n, 7), compressible_bytes(n)}) {
                // One fragment, and many small ones.
                for (size_t piece : {std::max<size_t>(n, 1), size_t{977}}) {
                    auto in = fragmented(bytes, piece);
                    auto out = round_trip(type, in, n);
                    ASSERT_TRUE(out)
                        << to_string(type) << " " << n << ": " << out.message();
                    EXPECT_EQ(out->to_vector(), bytes) << to_string(type) << " " << n;
                }
            }
        }
    }
}

TEST(compression, compressible_input_shrinks) {
    auto in = base::iobuf::copy_of(compressible_bytes(100 * 1000));
    for (auto type : all_codecs) {
        if (type != compression_type::none) {
            EXPECT_LT(compress(type, in).size_bytes(), in.size_bytes() / 4)
                << to_string(type);
        }
    }
}

TEST(compression, levels_are_clamped_and_still_decode) {
    auto bytes = compressible_bytes(50 * 1000);
    auto in = base::iobuf::copy_of(bytes);
    for (auto type : all_codecs) {
        for (int level : {-1000, 1, 9, 1000}) {
            auto out =
                round_trip(type, in, bytes.size(), compress_options{.level = level});
            ASSERT_TRUE(out) << to_string(type) << " level " << level;
            EXPECT_EQ(out->to_vector(), bytes);
        }
    }
}

TEST(compression, snappy_decodes_both_raw_and_xerial_framing) {
    auto bytes = compressible_bytes(100 * 1000); // several xerial blocks
    auto in = base::iobuf::copy_of(bytes);
    auto xerial = compress(compression_type::snappy, in);
    auto raw = compress(compression_type::snappy, in, {.snappy = snappy_framing::raw});
    EXPECT_EQ(xerial.to_vector()[0], 0x82);
    EXPECT_NE(raw.to_vector()[0], 0x82);
    for (const auto* framed : {&xerial, &raw}) {
        auto out = decompress(compression_type::snappy, *framed, bytes.size());
        ASSERT_TRUE(out) << out.message();
        EXPECT_EQ(out->to_vector(), bytes);
    }
}

// gzip members, lz4 and zstd frames, xerial streams (raw snappy is one
// block and cannot be).
TEST(compression, concatenated_streams_decode_one_after_the_other) {
    auto a = compressible_bytes(5000);
    auto b = random_bytes(3000, 1);
    auto both = a;
    both.insert(both.end(), b.begin(), b.end());
    for (auto type : all_codecs) {
        auto joined = compress(type, base::iobuf::copy_of(a));
        joined.append(compress(type, base::iobuf::copy_of(b)));
        auto out = decompress(type, joined, both.size());
        ASSERT_TRUE(out) << to_string(type) << ": " << out.message();
        EXPECT_EQ(out->to_vector(), both) << to_string(type);
    }
}

TEST(compression, zstd_frames_without_a_content_size_decode) {
    // Java's zstd stream writes frames that do not state their size.
    auto bytes = compressible_bytes(200 * 1000);
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(),
                                                              &ZSTD_freeCCtx);
    std::vector<uint8_t> frame(ZSTD_compressBound(bytes.size()));
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0);
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    ZSTD_outBuffer out{frame.data(), frame.size(), 0};
    ASSERT_EQ(ZSTD_compressStream2(cctx.get(), &out, &in, ZSTD_e_end), 0u);
    frame.resize(out.pos);
    ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()),
              ZSTD_CONTENTSIZE_UNKNOWN);
    auto decoded =
        decompress(compression_type::zstd, base::iobuf::copy_of(frame), bytes.size());
    ASSERT_TRUE(decoded) << decoded.message();
    EXPECT_EQ(decoded->to_vector(), bytes);
}

TEST(compression, output_of_exactly_the_bound_passes_and_one_byte_more_fails) {
    auto bytes = compressible_bytes(70 * 1000);
    auto in = base::iobuf::copy_of(bytes);
    for (auto type : all_codecs) {
        auto compressed = compress(type, in);
        EXPECT_TRUE(decompress(type, compressed, bytes.size())) << to_string(type);
        auto over = decompress(type, compressed, bytes.size() - 1);
        ASSERT_FALSE(over) << to_string(type);
        EXPECT_EQ(over.code(), batch_errc::uncompressed_too_large) << to_string(type);
    }
}

TEST(compression, small_bombs_are_refused_at_the_bound) {
    // 256 MiB of zeros would be a few KiB in any codec; a few MiB show it.
    std::vector<uint8_t> zeros(16 << 20, 0);
    auto in = base::iobuf::copy_of(zeros);
    for (auto type : all_codecs) {
        if (type == compression_type::none) {
            continue;
        }
        auto bomb = compress(type, in);
        EXPECT_LT(bomb.size_bytes(), 1u << 20) << to_string(type);
        auto out = decompress(type, bomb, 1 << 20);
        ASSERT_FALSE(out) << to_string(type);
        EXPECT_EQ(out.code(), batch_errc::uncompressed_too_large) << to_string(type);
    }
}

TEST(compression, truncated_or_garbled_streams_are_bad_compressed_data) {
    auto bytes = compressible_bytes(20 * 1000);
    auto in = base::iobuf::copy_of(bytes);
    for (auto type : all_codecs) {
        if (type == compression_type::none) {
            continue;
        }
        auto good = compress(type, in).to_vector();
        for (size_t cut : {size_t{0}, size_t{1}, good.size() / 2, good.size() - 1}) {
            std::vector<uint8_t> part(good.begin(),
                                      good.begin() + static_cast<long>(cut));
            auto out = decompress(type, base::iobuf::copy_of(part), bytes.size());
            ASSERT_FALSE(out) << to_string(type) << " cut at " << cut;
            EXPECT_EQ(out.code(), batch_errc::bad_compressed_data) << to_string(type);
        }
        auto garbage = random_bytes(500, 3);
        auto out = decompress(type, base::iobuf::copy_of(garbage), bytes.size());
        EXPECT_FALSE(out) << to_string(type);
    }
}

TEST(compression, xerial_block_lengths_past_the_payload_are_refused) {
    auto framed =
        compress(compression_type::snappy, base::iobuf::copy_of(compressible_bytes(1000)))
            .to_vector();
    framed[16] = 0x7f; // the first block's length, now far too large
    auto out = decompress(compression_type::snappy, base::iobuf::copy_of(framed), 1000);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.code(), batch_errc::bad_compressed_data);
}

TEST(compression, many_tiny_xerial_blocks_share_output_fragments) {
    // A hostile stream of one-byte blocks must not cost a fragment each.
    auto header = compress(compression_type::snappy, base::iobuf{}).to_vector();
    auto block = compress(compression_type::snappy, base::iobuf::copy_of("x"),
                          {.snappy = snappy_framing::raw})
                     .to_vector();
    auto stream = header;
    for (int i = 0; i < 10000; ++i) {
        stream.insert(stream.end(), {0, 0, 0, static_cast<uint8_t>(block.size())});
        stream.insert(stream.end(), block.begin(), block.end());
    }
    auto out = decompress(compression_type::snappy, base::iobuf::copy_of(stream), 10000);
    ASSERT_TRUE(out) << out.message();
    EXPECT_EQ(out->to_string(), std::string(10000, 'x'));
    EXPECT_LE(out->fragments().size(), 4u);
}

TEST(compression, unassigned_codec_ids_are_unsupported) {
    auto out =
        decompress(static_cast<compression_type>(5), base::iobuf::copy_of("x"), 10);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.code(), batch_errc::unsupported_compression);
}

} // namespace
