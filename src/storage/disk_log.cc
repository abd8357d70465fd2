#include "storage/disk_log.h"

#include "base/crc.h"
#include "base/logger.h"
#include "base/vassert.h"
#include "model/record.h"
#include "storage/partition_meta.h"
#include "storage/producer_snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace storage {
namespace {

base::logger log{"storage"};

// A batch's CRC-32C as its header should state it: over its bytes from
// the attributes on, straight from the fragments (no copy, no allocation).
uint32_t crc_of_batch(const base::iobuf& batch) {
    uint32_t crc = 0;
    size_t skip = model::batch_layout::attributes;
    for (const auto& frag : batch.fragments()) {
        auto bytes = frag.bytes();
        if (skip >= bytes.size()) {
            skip -= bytes.size();
            continue;
        }
        crc = base::crc32c(bytes.subspan(skip), crc);
        skip = 0;
    }
    return crc;
}

// Snapshots kept besides the newest: one older, in case the newest is
// damaged.
constexpr size_t snapshots_kept = 2;

bool is_leftover(const std::string& name) {
    return name.ends_with(".tmp") || name.ends_with(".cleaned");
}

} // namespace

clock_ms system_clock_ms() {
    return [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
}

disk_log::disk_log(file_system& fs, std::string dir, log_config config, clock_ms clock)
  : _fs(fs)
  , _dir(std::move(dir))
  , _config(config)
  , _clock(std::move(clock)) {}

disk_log::~disk_log() = default;

result<std::unique_ptr<disk_log>> disk_log::open(file_system& fs, std::string dir,
                                                 log_config config, clock_ms clock) {
    std::unique_ptr<disk_log> l(
        new disk_log(fs, std::move(dir), config, std::move(clock)));
    if (auto r = l->recover(); !r) {
        return r.error_value();
    }
    return l;
}

result<void> disk_log::recover() {
    if (auto r = _fs.make_directories(_dir); !r) {
        return r;
    }
    auto names = _fs.list(_dir);
    if (!names) {
        return names.error_value();
    }
    std::vector<model::offset> bases;
    for (const auto& name : *names) {
        if (is_leftover(name)) {
            // A compaction or checkpoint cut short by a crash: the file it
            // would have replaced is still whole.
            if (auto r = _fs.remove(join_path(_dir, name)); !r) {
                return r;
            }
        } else if (auto base = parse_offset_file_name(name, ".log")) {
            bases.push_back(model::offset(*base));
        }
    }
    std::sort(bases.begin(), bases.end());

    auto meta = partition_meta::load(_fs, _dir);
    if (!meta) {
        log.error("{}: {}", _dir, meta.message());
        return meta.error_value();
    }
    if (*meta) {
        _log_start = (*meta)->log_start_offset;
        _epochs.assign((*meta)->epochs);
    }
    if (bases.empty()) {
        bases.push_back(_log_start);
        auto s = segment::create(_fs, _dir, _log_start, _config.index_interval_bytes,
                                 _clock());
        if (!s) {
            return s.error_value();
        }
        _segments.push_back(std::move(*s));
        directory_changed();
        _flushed_offset = _log_start;
        _compacted_up_to = _log_start;
        return base::ok;
    }
    if (auto r = open_segments(bases); !r) {
        return r;
    }
    _log_start = std::max(_log_start, _segments.front()->base_offset());
    // A crash after the log start moved may have left segments wholly
    // below it.
    while (_segments.size() > 1 && _segments[1]->base_offset() <= _log_start) {
        if (auto r = remove_front_segment(); !r) {
            return r;
        }
    }
    // Epochs past the end (a truncation whose partition.meta write failed)
    // go; an empty log keeps the entry that covers its start.
    model::offset end = active().next_offset();
    _epochs.truncate_from(end > _log_start ? end : model::offset(end() + 1));
    _epochs.advance_start(_log_start);
    _meta_dirty = !*meta || (*meta)->epochs != _epochs.entries();
    _compacted_up_to = _log_start;
    // What the recovery scan read may still be only in the page cache
    // (the process died, the machine did not): make it durable before
    // counting it as flushed.
    if (auto r = active().log_file()->datasync(); !r) {
        return r;
    }
    // ...and the names of its segments.
    if (auto r = _fs.sync_directory(_dir); !r) {
        return r;
    }
    active().mark_flushed(active().size_bytes());
    _flushed_offset = active().next_offset();
    if (auto r = rebuild_producers(); !r) {
        return r;
    }
    log.info("{}: opened {} segments, offsets [{}, {})", _dir, _segments.size(),
             _log_start, active().next_offset());
    return base::ok;
}

result<void> disk_log::open_segments(const std::vector<model::offset>& bases) {
    for (size_t i = 0; i < bases.size(); ++i) {
        bool tail = i + 1 == bases.size();
        scan_stop stop;
        auto s =
            segment::open(_fs, _dir, bases[i], _config.index_interval_bytes, _clock(),
                          tail ? segment::open_as::tail : segment::open_as::closed, stop);
        if (!s) {
            return s.error_value();
        }
        auto& seg = **s;
        if (!_segments.empty() && seg.base_offset() < _segments.back()->next_offset()) {
            mark_corrupted(
                seg.base_offset(),
                fmt::format("segment {} overlaps the one before it", seg.log_path()));
        }
        if (stop.what != scan_stop::kind::end) {
            if (tail) {
                // Only the active segment takes writes that no fdatasync
                // covered yet (a segment is flushed before the next one is
                // created), so a bad tail here is a torn write.
                log.warn("{}: dropping {} bytes of torn tail at position {}: {}",
                         seg.log_path(), seg.size_bytes() - stop.position, stop.position,
                         stop.reason);
                if (auto r = seg.truncate_to(stop.position); !r) {
                    return r;
                }
            } else {
                mark_corrupted(seg.next_offset(),
                               fmt::format("{} at position {}: {}", seg.log_path(),
                                           stop.position, stop.reason));
            }
        }
        _segments.push_back(std::move(*s));
    }
    // partition.meta is written only over durable batches, so its epochs
    // all survived; those of later batches come from the active segment.
    auto scan = active().for_each_batch(0, [&](located_batch& lb) {
        _epochs.observe(lb.batch.leader_epoch(), lb.batch.base_offset());
        return true;
    });
    if (!scan) {
        return scan.error_value();
    }
    // Index files of the active segment would go stale as it grows.
    for (auto ext : {".index", ".timeindex"}) {
        if (auto r = _fs.remove(active().path(ext)); !r) {
            return r;
        }
    }
    return base::ok;
}

void disk_log::mark_corrupted(model::offset offset, const std::string& what) {
    log.error("{}: CORRUPTION: {}; offsets from {} on are not served", _dir, what,
              offset);
    if (!_corrupted_at || offset < *_corrupted_at) {
        _corrupted_at = offset;
    }
}

bool disk_log::needs_roll(size_t size_bytes) const {
    const auto& a = active();
    if (a.empty()) {
        return false;
    }
    // Relative offsets and positions in the indexes are 32-bit.
    constexpr int64_t max_relative = std::numeric_limits<int32_t>::max();
    return a.size_bytes() + size_bytes > _config.segment_bytes
        || a.next_offset()() - a.base_offset()() > max_relative
        || a.size_bytes() + size_bytes > std::numeric_limits<uint32_t>::max()
        || _clock() - a.created_ms() >= _config.segment_ms;
}

result<void> disk_log::roll(model::offset next_base) {
    // The closing segment is made durable first: then only the active
    // segment can ever hold unsynced bytes, and recovery may treat a bad
    // batch anywhere else as corruption rather than a torn write.
    if (auto r = active().flush(); !r) {
        return r;
    }
    if (auto r = active().write_indexes(); !r) {
        log.warn("{}: could not write indexes (they will be rebuilt): {}",
                 active().log_path(), r.message());
    }
    if (_meta_dirty) {
        if (auto r = store_meta(); !r) {
            return r;
        }
    }
    if (auto r = snapshot_producers(next_base); !r) {
        return r;
    }
    auto s =
        segment::create(_fs, _dir, next_base, _config.index_interval_bytes, _clock());
    if (!s) {
        return s.error_value();
    }
    _segments.push_back(std::move(*s));
    directory_changed();
    return base::ok;
}

result<void> disk_log::store_meta() {
    // Flushed first, so that every epoch and log start the file names is
    // backed by durable batches: recovery then trusts the file whole.
    if (auto r = flush(); !r) {
        return r;
    }
    partition_meta m{_log_start, _epochs.entries()};
    if (auto r = m.store(_fs, _dir); !r) {
        return r;
    }
    _meta_dirty = false;
    return base::ok;
}

result<std::optional<append_result>> disk_log::check_producer(
    const model::record_batch_header& h) const {
    if (h.producer_id == model::no_producer_id || h.is_control()) {
        return std::optional<append_result>{};
    }
    auto verdict = _producers.check(h);
    switch (verdict.verdict) {
        case producer_verdict::accept:
            return std::optional<append_result>{};
        case producer_verdict::duplicate:
            return std::optional<append_result>{
                append_result{verdict.original.first_offset, verdict.original.last_offset,
                              true, verdict.original.timestamp}};
        case producer_verdict::out_of_order_sequence:
            return base::make_error(
                errc::out_of_order_sequence,
                fmt::format("sequence {} of producer {} does not follow {}",
                            h.base_sequence, h.producer_id,
                            _producers.find(h.producer_id)->last_sequence()));
        case producer_verdict::invalid_producer_epoch:
            return base::make_error(
                errc::invalid_producer_epoch,
                fmt::format("epoch {} of producer {} is older than {}", h.producer_epoch,
                            h.producer_id, _producers.find(h.producer_id)->epoch));
        case producer_verdict::invalid_txn_state:
            break;
    }
    return base::make_error(
        errc::invalid_txn_state,
        fmt::format("a plain batch of producer {} inside its transaction",
                    h.producer_id));
}

result<append_result> disk_log::append(model::record_batch& batch, model::term_id term) {
    auto verdict = check_producer(batch.header());
    if (!verdict) {
        return verdict.error_value();
    }
    if (*verdict) {
        return **verdict;
    }
    batch.set_base_offset(active().next_offset());
    batch.set_partition_leader_epoch(term);
    return append_checked(batch);
}

result<append_result> disk_log::append_exact(const model::record_batch& batch) {
    // Gaps would look like a torn tail to recovery (see rebuild_index).
    if (batch.base_offset() != active().next_offset()) {
        return base::make_error(
            errc::invalid_argument,
            fmt::format("batch at offset {} does not follow the log end {}",
                        batch.base_offset(), active().next_offset()));
    }
    return append_checked(batch);
}

result<append_result> disk_log::append_checked(const model::record_batch& batch) {
    if (_io_failure) {
        return *_io_failure;
    }
    // Epochs never go back in a log (recovery would take it for a torn
    // write): a batch of an older term is refused, not stored.
    if (auto latest = _epochs.latest(); latest
        && batch.leader_epoch() >= model::term_id(0) && batch.leader_epoch() < *latest) {
        return base::make_error(errc::invalid_argument,
                                fmt::format("batch of epoch {} after epoch {}",
                                            batch.leader_epoch(), *latest));
    }
    if (_corrupted_at) {
        return base::make_error(
            errc::corrupted,
            fmt::format("{}: corrupted at offset {}", _dir, *_corrupted_at));
    }
    // The CRC is checked before the bytes reach the disk, as after they
    // are read back: a batch damaged in memory must not become durable.
    vassert(crc_of_batch(batch.data()) == batch.header().crc,
            "batch at offset {} fails its CRC before append", batch.base_offset());
    if (needs_roll(batch.size_bytes())) {
        if (auto r = roll(batch.base_offset()); !r) {
            return r.error_value();
        }
    }
    if (auto r = active().append(batch); !r) {
        log.warn("{}: append at offset {} failed: {}", _dir, batch.base_offset(),
                 r.message());
        // A full disk is cut back cleanly; anything else may have left bytes
        // behind the log's end.
        if (r.code() != errc::no_space) {
            return fail_io(r.error_value());
        }
        return r.error_value();
    }
    if (_epochs.observe(batch.leader_epoch(), batch.base_offset())) {
        // Persisted when the segment closes; until then the recovery scan
        // of the active segment finds it.
        _meta_dirty = true;
    }
    apply_to_producers(batch);
    return append_result{batch.base_offset(), batch.last_offset()};
}

void disk_log::apply_to_producers(const model::record_batch& batch) {
    const auto& h = batch.header();
    if (h.producer_id == model::no_producer_id) {
        return;
    }
    if (h.is_control()) {
        // An empty control batch (its marker compacted away) ends nothing.
        if (auto m = model::read_transaction_marker(batch)) {
            _producers.apply_marker(h, m->coordinator_epoch, m->commit);
        }
    } else {
        _producers.apply(h);
    }
}

model::offset disk_log::last_stable_offset() const {
    return _producers.first_unstable_offset().value_or(active().next_offset());
}

size_t disk_log::expire_producers(int64_t expiration_ms) {
    return _producers.expire(_clock(), expiration_ms);
}

result<void> disk_log::rebuild_producers() {
    _producers.clear();
    auto snapshots = list_producer_snapshots(_fs, _dir);
    if (!snapshots) {
        return snapshots.error_value();
    }
    model::offset end = active().next_offset();
    model::offset from = _segments.front()->base_offset();
    // Newest first: snapshots past the end describe batches a truncation
    // removed, and a damaged one gives way to the one before it.
    for (auto it = snapshots->rbegin(); it != snapshots->rend(); ++it) {
        if (*it <= end) {
            auto loaded = load_producer_snapshot(_fs, _dir, *it);
            if (loaded) {
                _producers = std::move(*loaded);
                from = std::max(from, *it);
                break;
            }
            log.warn("{}: ignoring producer snapshot at {}: {}", _dir, *it,
                     loaded.message());
        }
        if (auto r = remove_producer_snapshot(_fs, _dir, *it); !r) {
            return r;
        }
    }
    return replay_producers(from);
}

result<void> disk_log::replay_producers(model::offset from) {
    model::offset end = active().next_offset();
    if (from >= end) {
        return base::ok;
    }
    for (size_t i = segment_index_for(from); i < _segments.size(); ++i) {
        const auto& seg = *_segments[i];
        uint64_t position = 0;
        if (from > seg.base_offset()) {
            auto p = seg.position_of(from);
            if (!p) {
                return p.error_value();
            }
            position = *p;
        }
        auto scan = seg.for_each_batch(position, [&](located_batch& lb) {
            apply_to_producers(lb.batch);
            return true;
        });
        if (!scan) {
            return scan.error_value();
        }
    }
    return base::ok;
}

result<void> disk_log::snapshot_producers(model::offset at) {
    if (auto r = store_producer_snapshot(_fs, _dir, at, _producers); !r) {
        return r;
    }
    auto snapshots = list_producer_snapshots(_fs, _dir);
    if (!snapshots) {
        return snapshots.error_value();
    }
    for (size_t i = 0; i + snapshots_kept < snapshots->size(); ++i) {
        if (auto r = remove_producer_snapshot(_fs, _dir, (*snapshots)[i]); !r) {
            return r;
        }
    }
    return base::ok;
}

size_t disk_log::segment_index_for(model::offset offset) const {
    auto it = std::upper_bound(_segments.begin(), _segments.end(), offset,
                               [](model::offset o, const std::unique_ptr<segment>& s) {
                                   return o < s->base_offset();
                               });
    return it == _segments.begin() ? 0 : static_cast<size_t>(it - _segments.begin() - 1);
}

result<read_result> disk_log::read(model::offset start, size_t max_bytes,
                                   model::offset max_offset, bool at_least_one) {
    model::offset end = active().next_offset();
    if (start < _log_start || start > end) {
        return base::make_error(
            errc::offset_out_of_range,
            fmt::format("offset {} outside [{}, {}]", start, _log_start, end));
    }
    if (_corrupted_at) {
        if (start >= *_corrupted_at) {
            return base::make_error(
                errc::corrupted,
                fmt::format("{}: corrupted at offset {}", _dir, *_corrupted_at));
        }
        max_offset = std::min(max_offset, model::offset(_corrupted_at.value()() - 1));
    }
    read_result out;
    for (size_t i = segment_index_for(start); i < _segments.size(); ++i) {
        const auto& seg = *_segments[i];
        if (seg.base_offset() > max_offset) {
            break;
        }
        auto r = seg.read(start, max_bytes, max_offset, at_least_one, out);
        if (!r) {
            if (r.code() != errc::corrupted) {
                return r.error_value();
            }
            // What was read before the damage is served; the damage is
            // reported to whoever reads from it on.
            mark_corrupted(out.batch_count ? model::offset(out.last_offset() + 1) : start,
                           r.message());
            if (out.batch_count == 0) {
                return r.error_value();
            }
            return out;
        }
        if (*r || out.data.size_bytes() >= max_bytes) {
            break;
        }
    }
    return out;
}

std::optional<timequery_result> disk_log::max_timestamp() const {
    std::optional<timequery_result> best;
    for (const auto& s : _segments) {
        if (s->max_timestamp() != model::no_timestamp
            && (!best || s->max_timestamp() > best->timestamp)) {
            best = timequery_result{s->max_timestamp_batch(), s->max_timestamp()};
        }
    }
    return best;
}

result<std::optional<timequery_result>> disk_log::timequery(int64_t timestamp) {
    for (const auto& s : _segments) {
        if (s->max_timestamp() < timestamp || s->next_offset() <= _log_start) {
            continue;
        }
        std::optional<timequery_result> found;
        std::optional<base::error<errc>> failure;
        auto from = std::max(s->index().scan_start_for_timestamp(timestamp), _log_start);
        auto stop =
            s->for_each_batch(s->index().position_for(from), [&](located_batch& lb) {
                const auto& b = lb.batch;
                if (b.last_offset() < _log_start
                    || b.header().max_timestamp < timestamp) {
                    return true;
                }
                auto reader = model::record_reader::open(
                    b, model::parse_options::default_max_uncompressed_bytes);
                if (!reader) {
                    failure = base::make_error(errc::corrupted, reader.message());
                    return false;
                }
                while (true) {
                    auto rec = reader->next();
                    if (!rec) {
                        failure = base::make_error(errc::corrupted, rec.message());
                        return false;
                    }
                    if (*rec == nullptr) {
                        return true;
                    }
                    if ((*rec)->offset >= _log_start && (*rec)->timestamp >= timestamp) {
                        found = timequery_result{(*rec)->offset, (*rec)->timestamp};
                        return false;
                    }
                }
            });
        if (failure) {
            return *failure;
        }
        if (auto whole = require_whole(stop, s->log_path()); !whole) {
            return whole.error_value();
        }
        if (found) {
            return found;
        }
    }
    return std::optional<timequery_result>{};
}

result<void> disk_log::truncate(model::offset offset) {
    model::offset end = active().next_offset();
    if (offset > end || offset < _log_start) {
        return base::make_error(
            errc::offset_out_of_range,
            fmt::format("truncation at {} outside [{}, {}]", offset, _log_start, end));
    }
    if (offset == end) {
        return base::ok;
    }
    size_t keep = segment_index_for(offset);
    auto position = _segments[keep]->position_of(offset);
    if (!position) {
        return position.error_value();
    }
    // Whatever fails below, nothing from `offset` on counts as durable or
    // as epochs any more, and flush plans taken before are void.
    ++_generation;
    _flushed_offset = std::min(_flushed_offset, offset);
    _epochs.truncate_from(offset);
    _meta_dirty = true;
    while (_segments.size() > keep + 1) {
        if (auto r = _segments.back()->remove_files(); !r) {
            return r;
        }
        _segments.pop_back();
        directory_changed();
    }
    // The removals are durable before the kept segment is cut: a power
    // cut between the two must not bring later segments back behind a
    // shortened one (a hole recovery could not see).
    if (auto r = sync_directory_if_changed(); !r) {
        return r;
    }
    auto& seg = active();
    // It takes appends again: index files written when it closed are stale.
    for (auto ext : {".index", ".timeindex"}) {
        if (auto r = _fs.remove(seg.path(ext)); !r) {
            return r;
        }
    }
    if (auto r = seg.truncate_to(*position); !r) {
        return r;
    }
    _compacted_up_to = std::min(_compacted_up_to, offset);
    if (_corrupted_at && offset <= *_corrupted_at) {
        log.info("{}: truncated to {}, below the corruption at {}", _dir, offset,
                 *_corrupted_at);
        _corrupted_at.reset();
    }
    if (auto r = rebuild_producers(); !r) {
        return r;
    }
    // partition.meta may name epochs of the removed suffix.
    return store_meta();
}

result<void> disk_log::prefix_truncate(model::offset offset) {
    model::offset end = active().next_offset();
    if (offset > end) {
        return base::make_error(
            errc::offset_out_of_range,
            fmt::format("log start {} beyond the log end {}", offset, end));
    }
    if (offset <= _log_start) {
        return base::ok;
    }
    if (offset == end && !active().empty()) {
        // Everything goes: an empty segment at the new start takes over.
        if (auto r = roll(offset); !r) {
            return r;
        }
    }
    _log_start = offset;
    _epochs.advance_start(offset);
    _producers.forget_aborted_before(offset);
    // Durable before any segment goes, so a crash cannot resurrect what
    // a DeleteRecords acknowledged as gone. store_meta flushes first: the
    // new start never passes what is durable.
    if (auto r = store_meta(); !r) {
        return r;
    }
    while (_segments.size() > 1 && _segments[1]->base_offset() <= _log_start) {
        if (auto r = remove_front_segment(); !r) {
            return r;
        }
    }
    return base::ok;
}

result<void> disk_log::remove_front_segment() {
    if (auto r = _segments.front()->remove_files(); !r) {
        return r;
    }
    _segments.pop_front();
    directory_changed();
    return base::ok;
}

result<void> disk_log::flush() {
    model::offset next = active().next_offset();
    if (_io_failure) {
        return *_io_failure;
    }
    for (auto& s : _segments) {
        if (auto r = s->flush(); !r) {
            return fail_io(r.error_value());
        }
    }
    if (auto r = sync_directory_if_changed(); !r) {
        return fail_io(r.error_value());
    }
    _flushed_offset = next;
    return base::ok;
}

result<void> disk_log::sync_directory_if_changed() {
    uint64_t version = _directory_version;
    if (_directory_synced >= version) {
        return base::ok;
    }
    if (auto r = _fs.sync_directory(_dir); !r) {
        return r;
    }
    _directory_synced = std::max(_directory_synced, version);
    return base::ok;
}

base::error<errc> disk_log::fail_io(base::error<errc> e) {
    // After a failed fdatasync the kernel may have dropped the dirty pages
    // and marked them clean: a later fdatasync would succeed without them.
    // Nothing more is appended or acknowledged until the log is reopened
    // from what the disk really holds.
    if (!_io_failure) {
        log.error("{}: {}; the log takes no more writes until reopened", _dir, e.message);
        _io_failure = e;
    }
    return e;
}

flush_plan disk_log::prepare_flush() const {
    flush_plan plan;
    for (const auto& s : _segments) {
        if (s->flushed_bytes() < s->size_bytes()) {
            plan.files.push_back({s->log_file(), s->base_offset(), s->size_bytes()});
        }
    }
    plan.sync_directory = _directory_synced < _directory_version;
    plan.directory_version = _directory_version;
    plan.next_offset = active().next_offset();
    plan.generation = _generation;
    return plan;
}

void disk_log::complete_flush(const flush_plan& plan) {
    if (plan.generation != _generation) {
        return; // a truncation came between: what the plan covered changed
    }
    for (const auto& t : plan.files) {
        for (auto& s : _segments) {
            if (s->base_offset() == t.segment_base) {
                s->mark_flushed(t.size_bytes);
            }
        }
    }
    if (plan.sync_directory) {
        _directory_synced = std::max(_directory_synced, plan.directory_version);
    }
    _flushed_offset = std::max(_flushed_offset, plan.next_offset);
}

void disk_log::fail_flush(const base::error<errc>& e) {
    fail_io(e);
}

result<size_t> disk_log::apply_retention(size_t max_segments, model::offset max_offset) {
    if (!_config.cleanup_delete) {
        return size_t{0};
    }
    size_t removed = 0;
    int64_t now = _clock();
    uint64_t total = 0;
    for (const auto& s : _segments) {
        total += s->size_bytes();
    }
    while (removed < max_segments && _segments.size() > 1) {
        const auto& oldest = *_segments.front();
        if (oldest.next_offset()() - 1 > max_offset()) {
            break;
        }
        bool too_old = _config.retention_ms != log_config::no_limit
            && oldest.max_timestamp() != model::no_timestamp
            && now - oldest.max_timestamp() > _config.retention_ms;
        bool too_big = _config.retention_bytes != log_config::no_limit
            && total - oldest.size_bytes()
                >= static_cast<uint64_t>(_config.retention_bytes);
        if (!too_old && !too_big) {
            break;
        }
        total -= oldest.size_bytes();
        model::offset new_start = _segments[1]->base_offset();
        if (auto r = remove_front_segment(); !r) {
            return r.error_value();
        }
        _log_start = std::max(_log_start, new_start);
        _epochs.advance_start(_log_start);
        ++removed;
    }
    if (removed > 0) {
        log.info("{}: retention removed {} segments; log start now {}", _dir, removed,
                 _log_start);
    }
    return removed;
}

size_t disk_log::compactable_segments(model::offset max_offset) const {
    size_t n = 0;
    while (n + 1 < _segments.size()
           && _segments[n]->next_offset()() - 1 <= max_offset()) {
        ++n;
    }
    return n;
}

double disk_log::dirty_ratio(model::offset max_offset) const {
    uint64_t total = 0;
    uint64_t dirty = 0;
    for (size_t i = 0; i < compactable_segments(max_offset); ++i) {
        const auto& s = *_segments[i];
        total += s.size_bytes();
        if (s.next_offset() > _compacted_up_to) {
            dirty += s.size_bytes();
        }
    }
    return total == 0 ? 0.0 : static_cast<double>(dirty) / static_cast<double>(total);
}

compaction_job disk_log::plan_compaction(model::offset max_offset) const {
    compaction_job job;
    for (size_t i = 0; i < compactable_segments(max_offset); ++i) {
        const auto& s = *_segments[i];
        job.segments.push_back({s.base_offset(), s.log_file(), s.size_bytes()});
    }
    job.dirty_start = _compacted_up_to;
    job.generation = _generation;
    job.dir = _dir;
    job.index_interval_bytes = _config.index_interval_bytes;
    job.max_keys = _config.compaction_max_keys;
    job.now_ms = _clock();
    job.delete_retention_ms = _config.delete_retention_ms;
    if (!job.segments.empty()) {
        job.aborted = _producers.aborted_between(job.segments.front().base,
                                                 model::offset(max_offset));
    }
    return job;
}

result<void> disk_log::finish_compaction(compaction_outcome outcome) {
    if (outcome.generation != _generation) {
        // A truncation came between: a segment may since have been cut,
        // appended to and closed again, under the same file. The cleaned
        // copies describe bytes that are gone.
        for (const auto& c : outcome.segments) {
            if (auto r = _fs.remove(c.cleaned_path); !r) {
                return r;
            }
        }
        log.info("{}: compaction dropped: the log was truncated meanwhile", _dir);
        return base::ok;
    }
    bool replaced = false;
    for (auto& c : outcome.segments) {
        auto it = std::find_if(_segments.begin(), _segments.end(),
                               [&](const auto& s) { return s->base_offset() == c.base; });
        // Retention or a truncation may have taken the segment meanwhile.
        if (it == _segments.end() || (*it)->log_file() != c.original
            || std::next(it) == _segments.end()) {
            if (auto r = _fs.remove(c.cleaned_path); !r) {
                return r;
            }
            continue;
        }
        std::string log_path = (*it)->log_path();
        if (auto r = _fs.rename(c.cleaned_path, log_path); !r) {
            return r;
        }
        int64_t created = (*it)->created_ms();
        *it = segment::adopt(_fs, _dir, c.base, _config.index_interval_bytes, c.cleaned,
                             std::move(c.index), c.size_bytes, created);
        if (auto r = (*it)->write_indexes(); !r) {
            log.warn("{}: could not write indexes (they will be rebuilt): {}", log_path,
                     r.message());
        }
        replaced = true;
    }
    if (replaced) {
        if (auto r = _fs.sync_directory(_dir); !r) {
            return r;
        }
    }
    _compacted_up_to = std::max(_compacted_up_to, outcome.clean_up_to);
    log.info("{}: compaction up to offset {}: {} -> {} bytes, {} records removed", _dir,
             outcome.clean_up_to, outcome.bytes_before, outcome.bytes_after,
             outcome.records_removed);
    return base::ok;
}

result<bool> disk_log::compact(model::offset max_offset) {
    if (!_config.cleanup_compact
        || dirty_ratio(max_offset) < _config.min_cleanable_dirty_ratio
        || compactable_segments(max_offset) == 0) {
        return false;
    }
    auto outcome = run_compaction(_fs, plan_compaction(max_offset));
    if (!outcome) {
        log.error("{}: compaction failed: {}", _dir, outcome.message());
        return outcome.error_value();
    }
    if (auto r = finish_compaction(std::move(*outcome)); !r) {
        return r.error_value();
    }
    return true;
}

result<void> disk_log::close() {
    if (auto r = flush(); !r) {
        return r;
    }
    // A clean stop replays nothing at the next start.
    if (!_producers.producers().empty()) {
        if (auto r = snapshot_producers(active().next_offset()); !r) {
            return r;
        }
    }
    if (_meta_dirty) {
        return store_meta();
    }
    return base::ok;
}

log_offsets disk_log::offsets() const {
    log_offsets o;
    o.log_start = _log_start;
    o.next_offset = active().next_offset();
    o.flushed_offset = _flushed_offset;
    for (const auto& s : _segments) {
        o.size_bytes += s->size_bytes();
    }
    o.segment_count = _segments.size();
    return o;
}

} // namespace storage
