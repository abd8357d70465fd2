// Record batches (magic 2) from arbitrary bytes, through the walker, the
// parser, the record reader and the codecs: nothing reads out of bounds
// (ASan) or hits undefined behaviour (UBSan), whatever parses reads back
// whole, and the broker's rewrites leave it valid.
//
// Each input runs twice: as given, and with the CRC of every batch whose
// length fits made to match, since a fuzzer cannot forge CRC-32C and the
// checks behind it would otherwise see nothing.

#include "base/crc.h"
#include "base/iobuf.h"
#include "base/vassert.h"
#include "model/batch_walker.h"
#include "model/big_endian.h"
#include "model/record.h"
#include "model/record_batch.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using namespace model;

// Small, so a bomb is refused quickly and the fuzzer stays fast.
constexpr size_t max_uncompressed_bytes = 1 << 20;

void fix_crcs(std::vector<uint8_t>& bytes) {
    namespace layout = batch_layout;
    size_t pos = 0;
    while (bytes.size() - pos >= layout::header_bytes) {
        uint8_t* batch = bytes.data() + pos;
        auto length = big_endian::read<int32_t>(batch + layout::batch_length);
        if (length < layout::min_batch_length
            || static_cast<size_t>(length) > bytes.size() - pos - layout::log_overhead) {
            return;
        }
        size_t size = layout::log_overhead + static_cast<size_t>(length);
        auto crc = base::crc32c({batch + layout::attributes, size - layout::attributes});
        big_endian::write(batch + layout::crc, crc);
        pos += size;
    }
}

// Reads every byte a record shows, so ASan checks that it may.
uint32_t touch(const record_view& r) {
    uint32_t crc = 0;
    auto add = [&crc](std::optional<std::span<const uint8_t>> b) {
        if (b) {
            crc = base::crc32c(*b, crc);
        }
    };
    add(r.key);
    add(r.value);
    for (const auto& h : r.headers) {
        add(h.key);
        add(h.value);
    }
    return crc;
}

void check_parsed(const record_batch& batch, const parse_options& options) {
    auto reader = record_reader::open(batch, options.max_uncompressed_bytes);
    vassert(reader, "a parsed batch does not open: {}", reader.message());
    int32_t count = 0;
    uint32_t crc = 0;
    while (true) {
        auto next = reader->next();
        vassert(next, "a parsed batch does not read back: {}", next.message());
        if (*next == nullptr) {
            break;
        }
        vassert((*next)->offset >= batch.base_offset()
                    && (*next)->offset <= batch.last_offset(),
                "record offset {} outside [{}, {}]", (*next)->offset, batch.base_offset(),
                batch.last_offset());
        crc ^= touch(**next);
        ++count;
    }
    vassert(count == batch.record_count(), "read {} of {} records", count,
            batch.record_count());
    auto stamped = batch.share();
    stamped.set_base_offset(model::offset(1234567));
    stamped.set_partition_leader_epoch(model::term_id(42));
    auto again = parse_record_batch(stamped.data().share(), options);
    vassert(again, "a rewritten batch does not parse: {}", again.message());
    (void)crc;
}

void walk(std::span<const uint8_t> bytes, const parse_options& options) {
    batch_walker walker(base::iobuf::copy_of(bytes), options);
    while (true) {
        auto next = walker.next();
        if (!next || !*next) {
            return;
        }
        check_parsed(**next, options);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    parse_options log{.max_uncompressed_bytes = max_uncompressed_bytes};
    parse_options produce = log;
    produce.produce_rules = true;
    std::span<const uint8_t> in(data, size);
    walk(in, log);
    std::vector<uint8_t> fixed(in.begin(), in.end());
    fix_crcs(fixed);
    walk(fixed, log);
    auto as_produce = parse_record_batch(fixed, produce);
    auto as_log = parse_record_batch(fixed, log);
    vassert(!as_produce || as_log, "produce rules passed what log rules refused: {}",
            as_log ? "" : as_log.message());
    return 0;
}
