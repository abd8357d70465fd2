#include "storage/kvstore.h"

#include "base/crc.h"
#include "base/logger.h"
#include "base/varint.h"
#include "base/vassert.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace storage {

static base::logger log{"kvstore"};

namespace {

// Log entry, little-endian:
//   crc u32            CRC-32C of every byte after this field
//   length u32         payload bytes
//   seq u64            one above the previous entry's
//   synced_bytes u64   how much of the log a completed fdatasync covered
//                      when this entry was written (see recover_log)
//   payload            varint count, then per mutation: op u8,
//                      varint key length, key, [varint value length, value]
constexpr size_t entry_header_bytes = 24;
constexpr size_t entry_bytes_limit = std::numeric_limits<uint32_t>::max();

// Snapshot, little-endian:
//   crc u32            CRC-32C of every byte after this field
//   magic u32, version u32, seq u64 (the last entry it covers), count u64
//   per key, ascending: varint key length, key, varint value length, value
constexpr size_t snapshot_header_bytes = 28;
constexpr uint32_t snapshot_magic = 0x4b564b53; // "SKVK" on disk
constexpr uint32_t snapshot_version = 1;

enum class op : uint8_t { remove = 0, put = 1 };

// Fills a buffer whose size was computed beforehand; overrunning it is a bug.
class byte_writer {
public:
    byte_writer(uint8_t* data, size_t size)
      : _p(data)
      , _end(data + size) {}

    void u8(uint8_t v) {
        check(1);
        *_p++ = v;
    }
    void u32(uint32_t v) { fixed(v, 4); }
    void u64(uint64_t v) { fixed(v, 8); }
    void varint(uint64_t v) {
        check(base::varint::encoded_size_unsigned(v));
        _p += base::varint::encode_unsigned(v, _p);
    }
    void bytes(std::string_view s) {
        check(s.size());
        std::copy(s.begin(), s.end(), _p);
        _p += s.size();
    }
    bool at_end() const { return _p == _end; }

private:
    void fixed(uint64_t v, size_t n) {
        check(n);
        for (size_t i = 0; i < n; ++i) {
            *_p++ = static_cast<uint8_t>(v >> (8 * i));
        }
    }
    void check(size_t n) const {
        vassert(n <= static_cast<size_t>(_end - _p), "encoder overruns its buffer by {}",
                n - static_cast<size_t>(_end - _p));
    }

    uint8_t* _p;
    uint8_t* _end;
};

uint64_t read_le(const uint8_t* p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        v |= uint64_t{p[i]} << (8 * i);
    }
    return v;
}

// Reads bytes of unknown quality: every method fails (nullopt) rather than
// reading past the end.
class byte_reader {
public:
    explicit byte_reader(std::span<const uint8_t> in)
      : _in(in) {}

    std::optional<uint8_t> u8() {
        if (_pos >= _in.size()) {
            return std::nullopt;
        }
        return _in[_pos++];
    }
    std::optional<uint64_t> varint() {
        auto d =
            base::varint::decode_unsigned(_in.subspan(_pos), base::varint::max_bytes64);
        if (d.bytes == 0) {
            return std::nullopt;
        }
        _pos += d.bytes;
        return d.value;
    }
    // A length-prefixed string.
    std::optional<std::string> string() {
        auto len = varint();
        if (!len || *len > _in.size() - _pos) {
            return std::nullopt;
        }
        std::string s(reinterpret_cast<const char*>(_in.data() + _pos), *len);
        _pos += *len;
        return s;
    }
    bool at_end() const { return _pos == _in.size(); }

private:
    std::span<const uint8_t> _in;
    size_t _pos{0};
};

size_t string_bytes(std::string_view s) {
    return base::varint::encoded_size_unsigned(s.size()) + s.size();
}

size_t mutation_bytes(const kvstore::mutation& m) {
    return 1 + string_bytes(m.key) + (m.value ? string_bytes(*m.value) : 0);
}

base::iobuf encode_entry(const std::vector<kvstore::mutation>& batch,
                         size_t payload_bytes, uint64_t seq, uint64_t synced_bytes) {
    size_t total = entry_header_bytes + payload_bytes;
    std::shared_ptr<uint8_t[]> buf(new uint8_t[total]);
    byte_writer w(buf.get(), total);
    w.u32(0); // the CRC, filled in last
    w.u32(static_cast<uint32_t>(payload_bytes));
    w.u64(seq);
    w.u64(synced_bytes);
    w.varint(batch.size());
    for (const auto& m : batch) {
        w.u8(static_cast<uint8_t>(m.value ? op::put : op::remove));
        w.varint(m.key.size());
        w.bytes(m.key);
        if (m.value) {
            w.varint(m.value->size());
            w.bytes(*m.value);
        }
    }
    vassert(w.at_end(), "entry {} encoded short of its {} bytes", seq, total);
    uint32_t crc = base::crc32c(std::span<const uint8_t>(buf.get() + 4, total - 4));
    byte_writer(buf.get(), 4).u32(crc);
    return base::iobuf::adopt(std::move(buf), total);
}

struct parsed_entry {
    uint64_t seq;
    uint64_t synced_bytes;
    std::span<const uint8_t> payload;
    size_t size;
};

// The entry at `pos`, or nullopt when the bytes there are not a whole entry
// whose CRC matches.
std::optional<parsed_entry> parse_entry(std::span<const uint8_t> log, size_t pos) {
    if (log.size() - pos < entry_header_bytes) {
        return std::nullopt;
    }
    const uint8_t* p = log.data() + pos;
    auto length = read_le(p + 4, 4);
    if (length > log.size() - pos - entry_header_bytes) {
        return std::nullopt;
    }
    size_t size = entry_header_bytes + length;
    if (base::crc32c(std::span(p + 4, size - 4)) != read_le(p, 4)) {
        return std::nullopt;
    }
    return parsed_entry{read_le(p + 8, 8), read_le(p + 16, 8),
                        std::span(p + entry_header_bytes, length), size};
}

std::optional<std::vector<kvstore::mutation>> decode_payload(
    std::span<const uint8_t> in) {
    byte_reader r(in);
    auto count = r.varint();
    // Each mutation takes at least two bytes: a bound before reserving.
    if (!count || *count > in.size() / 2) {
        return std::nullopt;
    }
    std::vector<kvstore::mutation> batch;
    batch.reserve(*count);
    for (uint64_t i = 0; i < *count; ++i) {
        auto kind = r.u8();
        auto key = r.string();
        if (!kind || !key || *kind > static_cast<uint8_t>(op::put)) {
            return std::nullopt;
        }
        kvstore::mutation m{std::move(*key), std::nullopt};
        if (*kind == static_cast<uint8_t>(op::put)) {
            m.value = r.string();
            if (!m.value) {
                return std::nullopt;
            }
        }
        batch.push_back(std::move(m));
    }
    if (!r.at_end()) {
        return std::nullopt;
    }
    return batch;
}

// A valid entry after the bad bytes at `bad` that says the log was durable
// beyond `bad` when it was written: proof that the bad bytes had reached
// the disk whole, so no crash can have torn them. Scans every byte offset,
// since the bad entry's own length cannot be trusted.
std::optional<size_t> find_durability_witness(std::span<const uint8_t> log, size_t bad,
                                              uint64_t prev_seq) {
    size_t pos = bad + 1;
    while (pos + entry_header_bytes <= log.size()) {
        auto e = parse_entry(log, pos);
        if (!e || e->seq <= prev_seq) {
            ++pos;
            continue;
        }
        if (e->synced_bytes > bad) {
            return pos;
        }
        pos += e->size;
    }
    return std::nullopt;
}

using map_type = std::map<std::string, std::string, std::less<>>;

base::iobuf encode_snapshot(const map_type& map, uint64_t seq) {
    size_t total = snapshot_header_bytes;
    for (const auto& [k, v] : map) {
        total += string_bytes(k) + string_bytes(v);
    }
    std::shared_ptr<uint8_t[]> buf(new uint8_t[total]);
    byte_writer w(buf.get(), total);
    w.u32(0); // the CRC, filled in last
    w.u32(snapshot_magic);
    w.u32(snapshot_version);
    w.u64(seq);
    w.u64(map.size());
    for (const auto& [k, v] : map) {
        w.varint(k.size());
        w.bytes(k);
        w.varint(v.size());
        w.bytes(v);
    }
    vassert(w.at_end(), "snapshot at {} encoded short of its {} bytes", seq, total);
    uint32_t crc = base::crc32c(std::span<const uint8_t>(buf.get() + 4, total - 4));
    byte_writer(buf.get(), 4).u32(crc);
    return base::iobuf::adopt(std::move(buf), total);
}

struct snapshot_image {
    map_type map;
    uint64_t seq{0};
};

base::error<errc> corrupted_snapshot(const std::string& path, std::string_view why) {
    return base::make_error(
        errc::corrupted,
        fmt::format(
            "kvstore snapshot {} is corrupted ({}); refusing to open the store, as "
            "starting without it would silently lose data",
            path, why));
}

result<snapshot_image> decode_snapshot(const std::string& path,
                                       std::span<const uint8_t> in) {
    if (in.size() < snapshot_header_bytes) {
        return corrupted_snapshot(
            path, fmt::format("{} bytes, shorter than its header", in.size()));
    }
    if (base::crc32c(in.subspan(4)) != read_le(in.data(), 4)) {
        return corrupted_snapshot(path, "CRC mismatch");
    }
    if (read_le(in.data() + 4, 4) != snapshot_magic
        || read_le(in.data() + 8, 4) != snapshot_version) {
        return corrupted_snapshot(path, "unknown magic or version");
    }
    snapshot_image image;
    image.seq = read_le(in.data() + 12, 8);
    uint64_t count = read_le(in.data() + 20, 8);
    byte_reader r(in.subspan(snapshot_header_bytes));
    for (uint64_t i = 0; i < count; ++i) {
        auto key = r.string();
        auto value = r.string();
        if (!key || !value) {
            return corrupted_snapshot(path,
                                      fmt::format("record {} of {} truncated", i, count));
        }
        // Keys were written in ascending order: anything else is damage.
        if (!image.map.empty() && *key <= image.map.rbegin()->first) {
            return corrupted_snapshot(path, fmt::format("record {} out of order", i));
        }
        image.map.emplace_hint(image.map.end(), std::move(*key), std::move(*value));
    }
    if (!r.at_end()) {
        return corrupted_snapshot(path, "bytes after the last record");
    }
    return image;
}

result<snapshot_image> load_snapshot(file_system& fs, const std::string& path) {
    auto bytes = read_whole_file(fs, path);
    if (!bytes) {
        if (bytes.code() == errc::not_found) {
            return snapshot_image{};
        }
        return bytes.error_value();
    }
    return decode_snapshot(path, bytes->to_vector());
}

// A crash during write_file_atomically leaves its temporary file behind.
result<void> remove_temporaries(file_system& fs, const std::string& dir) {
    auto names = fs.list(dir);
    if (!names) {
        return names.error_value();
    }
    for (const auto& name : *names) {
        if (name.ends_with(".tmp")) {
            log.info("{}: removing {} left by an interrupted snapshot", dir, name);
            if (auto r = fs.remove(join_path(dir, name)); !r) {
                return r;
            }
        }
    }
    return base::ok;
}

base::error<errc> corrupted_log(const std::string& path, std::string why) {
    return base::make_error(
        errc::corrupted,
        fmt::format("kvstore log {} is corrupted ({}); refusing to open the "
                    "store, as a crash cannot explain this damage",
                    path, why));
}

void apply_batch(map_type& map, std::vector<kvstore::mutation> batch) {
    for (auto& m : batch) {
        if (m.value) {
            map.insert_or_assign(std::move(m.key), std::move(*m.value));
        } else if (auto it = map.find(m.key); it != map.end()) {
            map.erase(it);
        }
    }
}

struct replayed_log {
    // Where the valid entries end, and the last one's sequence (0: none).
    size_t end;
    uint64_t last_seq;
};

// Applies the log's entries past the snapshot to `map`, up to the first
// bytes that do not parse as an entry.
result<replayed_log> replay_entries(const std::string& path, std::span<const uint8_t> in,
                                    uint64_t snapshot_seq, map_type& map) {
    size_t pos = 0;
    uint64_t prev_seq = 0;
    for (auto e = parse_entry(in, 0); e; e = parse_entry(in, pos)) {
        if (prev_seq == 0 && (e->seq == 0 || e->seq > snapshot_seq + 1)) {
            return corrupted_log(path,
                                 fmt::format("it starts at sequence {} but the "
                                             "snapshot ends at {}",
                                             e->seq, snapshot_seq));
        }
        if (prev_seq != 0 && e->seq != prev_seq + 1) {
            return corrupted_log(path,
                                 fmt::format("entry at offset {} has sequence {} "
                                             "after {}",
                                             pos, e->seq, prev_seq));
        }
        if (e->seq > snapshot_seq) {
            auto batch = decode_payload(e->payload);
            if (!batch) {
                return corrupted_log(path,
                                     fmt::format("entry {} at offset {} has a valid "
                                                 "CRC but does not decode",
                                                 e->seq, pos));
            }
            apply_batch(map, std::move(*batch));
        }
        prev_seq = e->seq;
        pos += e->size;
    }
    return replayed_log{pos, prev_seq};
}

} // namespace

kvstore::kvstore(file_system& fs, std::string dir, options opts,
                 std::shared_ptr<file> log)
  : _fs(fs)
  , _dir(std::move(dir))
  , _opts(opts)
  , _log(std::move(log)) {}

kvstore::~kvstore() {
    vassert(_iterations == 0, "kvstore destroyed during for_each");
}

std::string kvstore::log_path() const {
    return join_path(_dir, std::string(log_file_name));
}

std::string kvstore::snapshot_path() const {
    return join_path(_dir, std::string(snapshot_file_name));
}

result<std::unique_ptr<kvstore>> kvstore::open(file_system& fs, std::string dir,
                                               options opts) {
    if (opts.entry_bytes_max > entry_bytes_limit - entry_header_bytes) {
        return base::make_error(
            errc::invalid_argument,
            fmt::format("entry_bytes_max {} over the format's limit {}",
                        opts.entry_bytes_max, entry_bytes_limit - entry_header_bytes));
    }
    if (auto r = fs.make_directories(dir); !r) {
        return r.error_value();
    }
    if (auto r = remove_temporaries(fs, dir); !r) {
        return r.error_value();
    }
    auto snapshot = load_snapshot(fs, join_path(dir, std::string(snapshot_file_name)));
    if (!snapshot) {
        return snapshot.error_value();
    }
    auto log_file =
        fs.open(join_path(dir, std::string(log_file_name)), open_mode::create);
    if (!log_file) {
        return log_file.error_value();
    }
    std::unique_ptr<kvstore> store(new kvstore(fs, std::move(dir), opts, *log_file));
    store->_map = std::move(snapshot->map);
    store->_last_seq = snapshot->seq;
    if (auto r = store->recover_log(snapshot->seq); !r) {
        return r.error_value();
    }
    log.info("{}: opened with {} keys at sequence {} (snapshot at {}, log {} bytes)",
             store->_dir, store->_map.size(), store->_last_seq, snapshot->seq,
             store->_log_bytes);
    return store;
}

// Replays the log's entries past the snapshot. Where the entries stop
// parsing (bad CRC, a length past the end, a short header), the rest of the
// log is either a tail a crash tore or damage to bytes that had been durable.
// Position alone cannot tell them apart: the page cache writes unsynced pages
// back in any order, so an entry torn by a crash can be followed by whole,
// valid entries appended after it (with durability::none). What tells them
// apart is the synced_bytes each entry records: if any valid entry after the
// bad bytes was written when the log was already durable past them, they
// had reached the disk whole and something other than a crash damaged them:
// errc::corrupted. Otherwise everything from the bad bytes on was never
// durable; it is truncated away (keeping the entries before it, so what
// survives a crash is always a prefix of the mutations), with a warning. The
// cost: damage to the very last durable entry looks like a torn tail, as no
// later entry can vouch for it. A valid entry whose sequence number breaks
// the chain is never a crash's doing and is corruption.
result<void> kvstore::recover_log(uint64_t snapshot_seq) {
    auto size = _log->size();
    if (!size) {
        return size.error_value();
    }
    auto read = _log->read_at(0, *size);
    if (!read) {
        return read.error_value();
    }
    std::vector<uint8_t> bytes = read->to_vector();
    std::span<const uint8_t> in(bytes);
    auto replayed = replay_entries(log_path(), in, snapshot_seq, _map);
    if (!replayed) {
        return replayed.error_value();
    }
    auto [pos, prev_seq] = *replayed;
    if (pos < in.size()) {
        if (auto w = find_durability_witness(in, pos, prev_seq)) {
            return corrupted_log(log_path(),
                                 fmt::format("bad entry at offset {}, yet the entry at "
                                             "offset {} was written after it was durable",
                                             pos, *w));
        }
        log.warn("{}: truncating {} bytes at offset {} after sequence {}: a tail torn "
                 "by a crash, never durable",
                 log_path(), in.size() - pos, pos, prev_seq);
        if (auto r = _log->truncate(pos); !r) {
            return r;
        }
    }
    if (prev_seq != 0 && prev_seq <= snapshot_seq) {
        // Left by a crash between a snapshot and the log's reset. Emptying
        // it keeps the chain of sequence numbers whole for the next entry.
        pos = 0;
        if (auto r = _log->truncate(0); !r) {
            return r;
        }
    }
    // What was read may still be only in the page cache (after a process
    // crash); make it durable before entries vouch for it (synced_bytes).
    if (auto r = _log->datasync(); !r) {
        return r;
    }
    _log_bytes = pos;
    _synced_bytes = pos;
    _last_seq = std::max(snapshot_seq, prev_seq);
    return base::ok;
}

std::optional<std::string> kvstore::get(std::string_view key) const {
    auto it = _map.find(key);
    if (it == _map.end()) {
        return std::nullopt;
    }
    return it->second;
}

result<void> kvstore::put(std::string key, std::string value, durability d) {
    std::vector<mutation> batch;
    batch.push_back({std::move(key), std::move(value)});
    return apply(std::move(batch), d);
}

result<void> kvstore::remove(std::string_view key, durability d) {
    std::vector<mutation> batch;
    batch.push_back({std::string(key), std::nullopt});
    return apply(std::move(batch), d);
}

result<void> kvstore::check_writable() const {
    vassert(_iterations == 0, "kvstore {} mutated from inside for_each", _dir);
    if (_failure) {
        return base::make_error(errc::io_error,
                                fmt::format("kvstore {} refuses writes after an earlier "
                                            "failure ({}); reopen it",
                                            _dir, *_failure));
    }
    return base::ok;
}

// The payload size of the batch's entry, or why the batch is refused.
result<size_t> kvstore::validate(const std::vector<mutation>& batch) const {
    size_t bytes = base::varint::encoded_size_unsigned(batch.size());
    for (const auto& m : batch) {
        if (m.key.size() > _opts.key_bytes_max) {
            return base::make_error(errc::invalid_argument,
                                    fmt::format("key of {} bytes over the limit of {}",
                                                m.key.size(), _opts.key_bytes_max));
        }
        if (m.value && m.value->size() > _opts.value_bytes_max) {
            return base::make_error(errc::invalid_argument,
                                    fmt::format("value of {} bytes over the limit of {}",
                                                m.value->size(), _opts.value_bytes_max));
        }
        bytes += mutation_bytes(m);
    }
    if (bytes > _opts.entry_bytes_max) {
        return base::make_error(errc::invalid_argument,
                                fmt::format("batch of {} bytes over the limit of {}",
                                            bytes, _opts.entry_bytes_max));
    }
    return bytes;
}

result<void> kvstore::apply(std::vector<mutation> batch, durability d) {
    if (auto r = check_writable(); !r) {
        return r;
    }
    auto payload_bytes = validate(batch);
    if (!payload_bytes) {
        return payload_bytes.error_value();
    }
    if (batch.empty()) {
        return d == durability::sync ? sync() : base::ok;
    }
    uint64_t seq = _last_seq + 1;
    if (auto r = append(encode_entry(batch, *payload_bytes, seq, _synced_bytes)); !r) {
        return r;
    }
    _last_seq = seq;
    if (d == durability::sync) {
        if (auto r = sync(); !r) {
            return r;
        }
    }
    apply_batch(_map, std::move(batch));
    return maybe_snapshot();
}

result<void> kvstore::sync() {
    if (auto r = check_writable(); !r) {
        return r;
    }
    if (_synced_bytes == _log_bytes) {
        return base::ok;
    }
    // After a failed fdatasync the kernel may have dropped the dirty pages:
    // what the log holds is unknown until it is read back at open.
    if (auto r = _log->datasync(); !r) {
        return fail(r.error_value());
    }
    _synced_bytes = _log_bytes;
    return base::ok;
}

result<void> kvstore::append(const base::iobuf& entry) {
    auto r = _log->write_at(_log_bytes, entry);
    if (r) {
        _log_bytes += entry.size_bytes();
        return base::ok;
    }
    // Take back the prefix that was written, so the disk is as it was and
    // the space returns.
    if (auto t = _log->truncate(_log_bytes); !t) {
        return fail(t.error_value());
    }
    if (r.code() != errc::no_space) {
        return fail(r.error_value());
    }
    return r;
}

// The mutation that called this is already in the log, so a snapshot that
// fails to be written fails nothing: the old snapshot and the longer log
// still hold everything, and the attempt is repeated later.
result<void> kvstore::maybe_snapshot() {
    if (_log_bytes <= _opts.snapshot_threshold_bytes
        || _log_bytes < _snapshot_retry_bytes) {
        return base::ok;
    }
    if (auto r =
            write_file_atomically(_fs, snapshot_path(), encode_snapshot(_map, _last_seq));
        !r) {
        log.warn("{}: snapshot at sequence {} failed, keeping the log of {} bytes: {}",
                 _dir, _last_seq, _log_bytes, r.message());
        (void)_fs.remove(snapshot_path() + ".tmp");
        _snapshot_retry_bytes = _log_bytes + _opts.snapshot_threshold_bytes / 4 + 1;
        return base::ok;
    }
    _snapshot_retry_bytes = 0;
    return reset_log();
}

result<void> kvstore::reset_log() {
    // The snapshot now covers every entry; a crash before this completes
    // leaves entries that recovery skips.
    if (auto r = _log->truncate(0); !r) {
        return fail(r.error_value());
    }
    if (auto r = _log->datasync(); !r) {
        return fail(r.error_value());
    }
    _log_bytes = 0;
    _synced_bytes = 0;
    return base::ok;
}

base::error<errc> kvstore::fail(base::error<errc> err) {
    log.error("{}: {}; refusing further writes until reopened", _dir, err.message);
    if (!_failure) {
        _failure = err.message;
    }
    return err;
}

} // namespace storage
