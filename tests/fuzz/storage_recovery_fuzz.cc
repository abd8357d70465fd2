// Recovery from damaged files: a small valid partition log and kvstore are
// written to an in-memory disk, then one of their files is cut and has
// bytes flipped as the input says, and both are opened again. Opening
// must never crash or assert: it recovers, reports corruption, or fails
// with an error; and a log it opens serves whole batches and takes appends.
//
// Input: byte 0 picks the file, bytes 1-2 where to cut it (a fraction of
// its size; 0xffff keeps it whole), then (position: 2 bytes, xor: 1 byte)
// triples.

#include "model/batch_walker.h"
#include "model/record_batch_builder.h"
#include "storage/disk_log.h"
#include "storage/kvstore.h"
#include "storage/sim_file_system.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

model::record_batch make_batch(int n, int64_t ts) {
    model::record_batch_builder b;
    for (int i = 0; i < n; ++i) {
        std::string key = "key-" + std::to_string(i % 3);
        std::string value(20 + i, 'v');
        model::record_data r;
        r.key = std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size());
        r.value = std::span(reinterpret_cast<const uint8_t*>(value.data()), value.size());
        r.timestamp = ts + i;
        b.add_record(r);
    }
    return b.build();
}

void write_valid_state(storage::sim_file_system& fs, const storage::log_config& config) {
    auto l = storage::disk_log::open(fs, "/p", config, [] { return int64_t{1000}; });
    for (int i = 0; i < 12; ++i) {
        auto b = make_batch(1 + i % 4, i * 10);
        (void)(*l)->append(b, model::term_id(1 + i / 5));
    }
    (void)(*l)->prefix_truncate(model::offset(2));
    (void)(*l)->close();
    auto kv = storage::kvstore::open(fs, "/kv", {.snapshot_threshold_bytes = 200});
    for (int i = 0; i < 10; ++i) {
        (void)(*kv)->put("k" + std::to_string(i % 4), std::string(i * 7, 'x'));
    }
}

void check_log(storage::sim_file_system& fs, const storage::log_config& config) {
    auto l = storage::disk_log::open(fs, "/p", config, [] { return int64_t{1000}; });
    if (!l) {
        return;
    }
    auto& log = **l;
    auto r = log.read(log.offsets().log_start, size_t{1} << 20);
    if (r) {
        model::batch_walker walker(r->data.share());
        while (true) {
            auto b = walker.next();
            if (!b) {
                __builtin_trap(); // a log that opened serves only whole, valid batches
            }
            if (!b->has_value()) {
                break;
            }
        }
    }
    (void)log.timequery(35);
    (void)log.epochs().end_offset_for(model::term_id(2), log.offsets().next_offset);
    auto b = make_batch(2, 5000);
    (void)log.append(b, model::term_id(9));
    (void)log.flush();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3) {
        return 0;
    }
    storage::log_config config;
    config.segment_bytes = 400;
    config.index_interval_bytes = 64;
    storage::sim_file_system fs;
    write_valid_state(fs, config);

    std::vector<std::string> files;
    for (const char* dir : {"/p", "/kv"}) {
        auto names = fs.list(dir);
        for (const auto& n : *names) {
            files.push_back(std::string(dir) + "/" + n);
        }
    }
    auto& bytes = fs.bytes_of(files[data[0] % files.size()]);
    unsigned cut = unsigned(data[1]) << 8 | data[2];
    if (cut != 0xffff) {
        bytes.resize(bytes.size() * cut / 0xffff);
    }
    for (size_t i = 3; i + 3 <= size && !bytes.empty(); i += 3) {
        size_t pos = (size_t(data[i]) << 8 | data[i + 1]) % bytes.size();
        bytes[pos] ^= data[i + 2];
    }

    check_log(fs, config);
    auto kv = storage::kvstore::open(fs, "/kv", {.snapshot_threshold_bytes = 200});
    if (kv) {
        (void)(*kv)->put("after", "damage");
    }
    return 0;
}
