// The generated codecs on the hot paths' messages: a Produce request and a
// Fetch response carrying 1 MiB of record batches, and a Metadata response
// for 100 topics of 10 partitions.

#include "base/iobuf.h"
#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/messages/produce.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace {

using namespace kafka::protocol;

constexpr size_t records_bytes = 1 << 20;
constexpr int16_t produce_version = 11;
constexpr int16_t fetch_version = 17;
constexpr int16_t metadata_version = 12;

base::iobuf one_mib_of_records() {
    std::vector<uint8_t> bytes(records_bytes, 0x5a);
    return base::iobuf::copy_of(bytes);
}

produce_request make_produce() {
    produce_request r;
    r.acks = -1;
    r.timeout_ms = 30000;
    auto& topic = r.topic_data.emplace_back();
    topic.name = "bench";
    auto& partition = topic.partition_data.emplace_back();
    partition.index = 0;
    partition.records = one_mib_of_records();
    return r;
}

fetch_response make_fetch() {
    fetch_response r;
    auto& topic = r.responses.emplace_back();
    topic.topic = "bench";
    auto& partition = topic.partitions.emplace_back();
    partition.high_watermark = 1000;
    partition.records = one_mib_of_records();
    return r;
}

metadata_response make_metadata() {
    metadata_response r;
    r.brokers.push_back({.node_id = 0, .host = "127.0.0.1", .port = 9092});
    for (int t = 0; t < 100; ++t) {
        auto& topic = r.topics.emplace_back();
        topic.name = "topic-" + std::to_string(t);
        for (int p = 0; p < 10; ++p) {
            topic.partitions.push_back({.partition_index = p,
                                        .leader_id = 0,
                                        .replica_nodes = {0},
                                        .isr_nodes = {0}});
        }
    }
    return r;
}

template<typename M>
std::vector<uint8_t> encoded(const M& m, int16_t version) {
    base::iobuf out;
    writer w(out);
    m.encode(w, version);
    return out.to_vector();
}

template<typename M>
void encode_bench(benchmark::State& state, const M& m, int16_t version) {
    size_t bytes = 0;
    for (auto _ : state) {
        base::iobuf out;
        writer w(out);
        m.encode(w, version);
        bytes += out.size_bytes();
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// Decodes from one contiguous buffer, as a connection holds a request:
// record batches are shared out of it, not copied.
template<typename M>
void decode_bench(benchmark::State& state, const M& m, int16_t version) {
    auto bytes = encoded(m, version);
    std::shared_ptr<uint8_t[]> buf(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), buf.get());
    auto wire = base::iobuf::adopt(std::move(buf), bytes.size());
    for (auto _ : state) {
        reader r(wire);
        M decoded;
        decoded.decode(r, version);
        if (r.failed()) {
            state.SkipWithError("decode failed");
        }
        benchmark::DoNotOptimize(decoded);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size_bytes()));
}

void produce_request_encode(benchmark::State& s) {
    encode_bench(s, make_produce(), produce_version);
}
void produce_request_decode(benchmark::State& s) {
    decode_bench(s, make_produce(), produce_version);
}
void fetch_response_encode(benchmark::State& s) {
    encode_bench(s, make_fetch(), fetch_version);
}
void fetch_response_decode(benchmark::State& s) {
    decode_bench(s, make_fetch(), fetch_version);
}
void metadata_response_encode(benchmark::State& s) {
    encode_bench(s, make_metadata(), metadata_version);
}
void metadata_response_decode(benchmark::State& s) {
    decode_bench(s, make_metadata(), metadata_version);
}

BENCHMARK(produce_request_encode);
BENCHMARK(produce_request_decode);
BENCHMARK(fetch_response_encode);
BENCHMARK(fetch_response_decode);
BENCHMARK(metadata_response_encode);
BENCHMARK(metadata_response_decode);

} // namespace

BENCHMARK_MAIN();
