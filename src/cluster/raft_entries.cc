#include "cluster/raft_entries.h"

#include "model/record.h"
#include "model/record_batch_builder.h"

namespace cluster {
namespace {

constexpr auto leader_start_type = model::control_record_type::leader_change;
constexpr auto configuration_type = model::control_record_type::kraft_voters;

// The control type of a batch's first record, read from its header and
// key alone; nullopt when it is not a control batch with one.
std::optional<int16_t> control_type(const model::record_batch& batch) {
    if (!batch.header().is_control() || batch.header().record_count != 1) {
        return std::nullopt;
    }
    auto reader = model::record_reader::open(
        batch, model::parse_options::default_max_uncompressed_bytes);
    if (!reader) {
        return std::nullopt;
    }
    auto first = reader->next();
    if (!first || *first == nullptr) {
        return std::nullopt;
    }
    auto key = model::parse_control_key((*first)->key);
    if (!key) {
        return std::nullopt;
    }
    return key->type;
}

bool is_raft_type(int16_t type) {
    return type == static_cast<int16_t>(leader_start_type)
        || type == static_cast<int16_t>(configuration_type);
}

model::record_batch control_batch(model::control_record_type type,
                                  const base::iobuf& value) {
    auto bytes = value.to_string();
    std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()),
                                  bytes.size());
    model::record_batch_builder builder;
    builder.set_control();
    builder.add_control_record(type, span, model::no_timestamp);
    return builder.build();
}

} // namespace

bool is_raft_entry(const model::record_batch& batch) {
    // Raft's entries are non-transactional control batches of one record
    // (transaction markers are transactional) of Raft's types.
    const auto& h = batch.header();
    if (!h.is_control() || h.is_transactional()
        || h.producer_id != model::no_producer_id) {
        return false;
    }
    auto type = control_type(batch);
    return type && is_raft_type(*type);
}

std::optional<model::record_batch> batch_of(const raft::entry& e, raft::log_index index) {
    std::optional<model::record_batch> batch;
    switch (e.type) {
        case raft::entry_type::data: {
            model::parse_options options;
            options.verify_records = false;
            auto parsed = model::parse_record_batch(e.data.share(), options);
            if (!parsed || parsed->header().last_offset_delta + 1 != e.offsets
                || is_raft_entry(*parsed)) {
                return std::nullopt;
            }
            batch.emplace(std::move(parsed).value());
            break;
        }
        case raft::entry_type::leader_start:
            batch.emplace(control_batch(leader_start_type, e.data));
            break;
        case raft::entry_type::configuration:
            batch.emplace(control_batch(configuration_type, e.data));
            break;
    }
    batch->set_base_offset(index);
    batch->set_partition_leader_epoch(epoch_of_term(e.term));
    return batch;
}

raft::entry entry_of(const model::record_batch& batch) {
    auto term = term_of_epoch(batch.leader_epoch());
    if (is_raft_entry(batch)) {
        raft::entry e{term, raft::entry_type::leader_start, {}, 1};
        if (control_type(batch) == static_cast<int16_t>(configuration_type)) {
            e.type = raft::entry_type::configuration;
            auto reader = model::record_reader::open(
                batch, model::parse_options::default_max_uncompressed_bytes);
            auto record = reader->next();
            if ((*record)->value) {
                e.data = base::iobuf::copy_of(*(*record)->value);
            }
        }
        return e;
    }
    return raft::entry{term, raft::entry_type::data, batch.data().share(),
                       batch.header().last_offset_delta + 1};
}

} // namespace cluster
