#include "cluster/partition.h"

#include "cluster/raft_entries.h"
#include "model/batch_walker.h"

#include <algorithm>

namespace cluster {

partition::partition(std::string topic, int32_t index, storage::log_manager::managed& log,
                     std::unique_ptr<raft_group> group)
  : _topic(std::move(topic))
  , _index(index)
  , _log(log)
  , _group(std::move(group)) {}

partition::~partition() = default;

int64_t partition::to_kafka(model::offset raw) const {
    return _group->translator().to_kafka(raw);
}

model::offset partition::to_raw(int64_t kafka) const {
    return _group->translator().to_raw(kafka);
}

uint64_t partition::size_bytes() const {
    auto offsets = _log.log->offsets();
    uint64_t own = 0;
    for (const auto& e : _group->own()) {
        if (e.offset < offsets.log_start) {
            continue;
        }
        // The same bytes the entry was stored as (cluster/raft_entries.h).
        raft::entry entry{raft::term_id(1), raft::entry_type::leader_start, {}, 1};
        if (e.config) {
            entry.type = raft::entry_type::configuration;
            entry.data = raft::encode_configuration(*e.config);
        }
        own += batch_of(entry, e.offset)->size_bytes();
    }
    return offsets.size_bytes - std::min(own, offsets.size_bytes);
}

int64_t partition::log_start() const {
    return to_kafka(_log.log->offsets().log_start);
}

int64_t partition::high_watermark() const {
    return to_kafka(_group->high_watermark());
}

int64_t partition::last_stable_offset() const {
    return std::min(to_kafka(_log.log->last_stable_offset()), high_watermark());
}

int64_t partition::log_end() const {
    return to_kafka(_log.log->offsets().next_offset);
}

runtime::awaitable<base::result<storage::append_result, replicate_errc>>
partition::replicate(model::record_batch batch, replicate_ack ack) {
    auto task = _group->replicate(std::move(batch), ack);
    auto r = co_await std::move(task);
    if (r) {
        r->base_offset = model::offset(to_kafka(r->base_offset));
        r->last_offset = model::offset(to_kafka(r->last_offset));
    }
    co_return r;
}

storage::result<storage::read_result> partition::read(int64_t from, size_t max_bytes,
                                                      int64_t last, bool at_least_one) {
    storage::read_result out;
    auto raw = to_raw(from);
    // Raft's entries at the end of the range are read and left out.
    auto raw_last = model::offset(to_raw(last + 1)() - 1);
    model::parse_options options;
    options.verify_records = false;
    // A read may find only Raft's entries (a byte limit below the next data
    // batch): read on past them, so a consumer below the high watermark
    // always progresses.
    while (raw <= raw_last) {
        size_t left =
            max_bytes > out.data.size_bytes() ? max_bytes - out.data.size_bytes() : 0;
        bool need_one = at_least_one && out.batch_count == 0;
        if (left == 0 && !need_one) {
            break;
        }
        auto data = _log.log->read(raw, left, raw_last, need_one);
        if (!data) {
            return data.error_value();
        }
        if (data->batch_count == 0) {
            break;
        }
        raw = model::offset(data->last_offset() + 1);
        model::batch_walker walker(std::move(data->data), options);
        bool found = false;
        for (auto b = walker.next(); b && *b; b = walker.next()) {
            auto& batch = **b;
            if (is_raft_entry(batch)) {
                continue;
            }
            auto base = to_kafka(batch.base_offset());
            if (base != batch.base_offset()()) {
                batch.set_base_offset(model::offset(base));
            }
            if (out.batch_count == 0) {
                out.first_offset = model::offset(base);
            }
            out.last_offset = model::offset(base + batch.header().last_offset_delta);
            out.data.append(batch.data().share());
            ++out.batch_count;
            found = true;
        }
        if (found) {
            break;
        }
    }
    return out;
}

storage::result<std::optional<storage::timequery_result>> partition::timequery(
    int64_t timestamp) {
    auto found = _log.log->timequery(timestamp);
    if (found && *found) {
        (*found)->offset = model::offset(to_kafka((*found)->offset));
    }
    return found;
}

std::optional<storage::timequery_result> partition::max_timestamp() const {
    auto found = _log.log->max_timestamp();
    if (found) {
        found->offset = model::offset(to_kafka(found->offset));
    }
    return found;
}

storage::result<void> partition::prefix_truncate(int64_t offset) {
    // Never past the commit index: Raft's entries after the high watermark
    // may still be truncated by a new leader.
    return _log.log->prefix_truncate(std::min(to_raw(offset), _group->high_watermark()));
}

bool partition::high_watermark_known() const {
    if (!_group->is_leader()) {
        return false;
    }
    // As Kafka: known once it reaches where the leader's term starts (its
    // first entry); a new partition's is 0 from the start.
    const auto& core = _group->core();
    auto last = core.last_index();
    if (last < raft::log_index(0) || core.log().term_at(last) != core.term()) {
        return true;
    }
    return high_watermark() >= to_kafka(core.log().first_index_of_run(last));
}

std::optional<storage::epoch_map::end_offset> partition::end_offset_for(
    model::term_id epoch) const {
    auto found =
        _log.log->epochs().end_offset_for(epoch, _log.log->offsets().next_offset);
    if (found) {
        found->end = model::offset(to_kafka(found->end));
    }
    return found;
}

} // namespace cluster
