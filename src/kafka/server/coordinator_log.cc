#include "kafka/server/coordinator_log.h"

#include "base/logger.h"
#include "kafka/server/handlers/partition_calls.h"
#include "model/batch_walker.h"
#include "model/record.h"
#include "model/record_batch_builder.h"

#include <chrono>

namespace kafka {
namespace {

base::logger log{"coordinator"};

// How much of a log one replay step reads.
constexpr size_t replay_read_bytes = size_t{1} << 20;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void replay_batch(const model::record_batch& batch, const record_fn& on_record,
                  const marker_fn& on_marker, size_t& records) {
    if (batch.header().is_control()) {
        auto marker = model::read_transaction_marker(batch);
        if (on_marker && marker) {
            on_marker(batch.header(), marker->commit);
        }
        return;
    }
    auto reader = model::record_reader::open(
        batch, model::parse_options::default_max_uncompressed_bytes);
    while (reader) {
        auto r = reader->next();
        if (!r || *r == nullptr) {
            break;
        }
        on_record(batch.header(), (*r)->key, (*r)->value);
        ++records;
    }
}

} // namespace

runtime::awaitable<error_code> append_records(cluster::partition& p, std::string what,
                                              std::vector<record_bytes> records,
                                              batch_producer producer) {
    model::record_batch_builder builder;
    if (producer.producer_id != model::no_producer_id) {
        builder.set_producer(producer.producer_id, producer.epoch, model::no_sequence);
        builder.set_transactional(producer.transactional);
    }
    int64_t now = now_ms();
    for (const auto& [key, value] : records) {
        model::record_data r;
        r.key = std::span<const uint8_t>(key);
        if (value) {
            r.value = std::span<const uint8_t>(*value);
        }
        r.timestamp = now;
        builder.add_record(r);
    }
    // Acknowledged once committed, like acks=all.
    auto task = p.replicate(builder.build(), cluster::replicate_ack::majority);
    auto appended = co_await std::move(task);
    if (!appended) {
        log.warn("{}: append failed: {}", what, appended.message());
        switch (appended.code()) {
            case cluster::replicate_errc::not_leader:
            case cluster::replicate_errc::shutting_down:
                co_return error_code::not_coordinator;
            case cluster::replicate_errc::storage_error:
                co_return error_code::coordinator_not_available;
            default:
                co_return handlers::to_error_code(appended.code());
        }
    }
    co_return error_code::none;
}

std::optional<size_t> replay_records(storage::disk_log& disk, const std::string& what,
                                     const record_fn& on_record,
                                     const marker_fn& on_marker) {
    auto offsets = disk.offsets();
    int64_t next = offsets.log_start();
    int64_t end = offsets.next_offset();
    size_t records = 0;
    while (next < end) {
        auto data = disk.read(model::offset(next), replay_read_bytes,
                              model::offset(end - 1), true);
        if (!data || data->data.empty()) {
            log.warn("{}: cannot read at {}: {}", what, next,
                     data ? "no data" : data.message());
            return std::nullopt;
        }
        next = data->last_offset() + 1;
        model::batch_walker walker(std::move(data->data));
        while (true) {
            auto b = walker.next();
            if (!b || !b->has_value()) {
                break;
            }
            replay_batch(**b, on_record, on_marker, records);
        }
    }
    return records;
}

} // namespace kafka
