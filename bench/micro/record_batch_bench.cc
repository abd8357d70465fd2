// Checking a produced batch as the broker does (header, CRC-32C, every
// record parsed), on 1 MiB of 1 KiB records; and CRC-32C alone, the floor
// under it.

#include "base/crc.h"
#include "base/iobuf.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace model;

constexpr size_t batch_bytes = 1 << 20;
constexpr size_t record_bytes = 1024;
// With its key and framing, a record of this value is 1 KiB.
constexpr size_t value_bytes = record_bytes - 16;

std::vector<uint8_t> one_mib_batch(compression_type type) {
    std::string value(value_bytes, 'v');
    for (size_t i = 0; i < value.size(); ++i) {
        value[i] = static_cast<char>('a' + (i * 7) % 26);
    }
    record_batch_builder builder;
    builder.set_compression(type).set_producer(1, 0, 0);
    for (size_t i = 0; i < batch_bytes / record_bytes; ++i) {
        auto key = "key-" + std::to_string(i % 10000);
        builder.add_record(
            record_data{.key = std::span<const uint8_t>(
                            reinterpret_cast<const uint8_t*>(key.data()), key.size()),
                        .value = std::span<const uint8_t>(
                            reinterpret_cast<const uint8_t*>(value.data()), value.size()),
                        .timestamp = 1700000000000 + static_cast<int64_t>(i)});
    }
    return builder.build().data().to_vector();
}

// One fragment (read from a file), or 128 KiB ones (as copied off a socket).
base::iobuf as_iobuf(const std::vector<uint8_t>& bytes, bool one_fragment) {
    if (!one_fragment) {
        return base::iobuf::copy_of(bytes);
    }
    std::shared_ptr<uint8_t[]> buf(new uint8_t[bytes.size()]);
    std::memcpy(buf.get(), bytes.data(), bytes.size());
    return base::iobuf::adopt(std::move(buf), bytes.size());
}

void validate(benchmark::State& state, compression_type type, bool one_fragment) {
    auto bytes = one_mib_batch(type);
    auto data = as_iobuf(bytes, one_fragment);
    parse_options options{.produce_rules = true};
    for (auto _ : state) {
        auto batch = parse_record_batch(data.share(), options);
        if (!batch) {
            state.SkipWithError(batch.message().c_str());
            return;
        }
        benchmark::DoNotOptimize(batch->record_count());
    }
    // Throughput in the records' uncompressed bytes.
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch_bytes));
    state.counters["records"] = benchmark::Counter(
        static_cast<double>(state.iterations() * (batch_bytes / record_bytes)),
        benchmark::Counter::kIsRate);
}

void BM_validate_uncompressed_one_fragment(benchmark::State& state) {
    validate(state, compression_type::none, true);
}
BENCHMARK(BM_validate_uncompressed_one_fragment);

void BM_validate_uncompressed_128k_fragments(benchmark::State& state) {
    validate(state, compression_type::none, false);
}
BENCHMARK(BM_validate_uncompressed_128k_fragments);

void BM_validate_zstd(benchmark::State& state) {
    validate(state, compression_type::zstd, true);
}
BENCHMARK(BM_validate_zstd);

void BM_validate_lz4(benchmark::State& state) {
    validate(state, compression_type::lz4, true);
}
BENCHMARK(BM_validate_lz4);

void BM_crc32c_1mib(benchmark::State& state) {
    std::vector<uint8_t> bytes(batch_bytes);
    for (size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<uint8_t>(i * 131);
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(base::crc32c(bytes));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch_bytes));
    state.counters["GB"] =
        benchmark::Counter(static_cast<double>(state.iterations() * batch_bytes) / 1e9,
                           benchmark::Counter::kIsRate);
}
BENCHMARK(BM_crc32c_1mib);

} // namespace

BENCHMARK_MAIN();
