#pragma once

#include "storage/errc.h"
#include "storage/file.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storage {

// A node-local key-value store for small metadata (Raft's term and vote,
// node-local settings): kilobytes to a few MiB, held whole in memory and
// crash-safe on disk.
//
// In its own directory it keeps an append-only log of mutations
// (kvstore.log) and a snapshot of the whole map (kvstore.snapshot). Every log
// entry has a CRC-32C, a length and a sequence number one above the previous
// entry's; the snapshot records the sequence number it covers. When the log
// outgrows options::snapshot_threshold_bytes, the map is written to a new
// snapshot (atomically) and the log is emptied; a crash between the two
// leaves log entries the snapshot already covers, which recovery skips.
//
// Errors from a mutation: invalid_argument and no_space leave the store as it
// was, in memory and on disk, and a later call may succeed. Any other error (a
// failed fdatasync or truncate) leaves the outcome unknown: the store then
// refuses every further mutation with io_error and must be reopened, which
// recovers from what the disk holds. Reads keep working.
//
// Not thread-safe: one owner (a shard) calls it. I/O is blocking.
class kvstore {
public:
    struct options {
        // Log size past which the map is snapshotted and the log emptied.
        size_t snapshot_threshold_bytes = 4 << 20;
        size_t key_bytes_max = 1 << 20;
        size_t value_bytes_max = 64 << 20;
        // Encoded size of one log entry: one put or remove, or one apply().
        size_t entry_bytes_max = 128 << 20;
    };

    enum class durability {
        // On disk (fdatasync) when the call returns, with every earlier
        // mutation.
        sync,
        // Appended to the log only: a crash may lose it (and the mutations
        // after it), but never part of it. sync() makes it durable.
        none,
    };

    // nullopt value: remove the key.
    struct mutation {
        std::string key;
        std::optional<std::string> value;
    };

    static constexpr std::string_view log_file_name = "kvstore.log";
    static constexpr std::string_view snapshot_file_name = "kvstore.snapshot";

    // Opens the store in `dir` (created if missing), recovering it from the
    // snapshot and the log. A damaged snapshot, or log damage that a crash
    // cannot explain, fails with errc::corrupted: the store never starts
    // from silently lost data.
    static result<std::unique_ptr<kvstore>> open(file_system& fs, std::string dir,
                                                 options opts);

    kvstore(const kvstore&) = delete;
    kvstore& operator=(const kvstore&) = delete;
    ~kvstore();

    std::optional<std::string> get(std::string_view key) const;
    size_t size() const { return _map.size(); }

    result<void> put(std::string key, std::string value, durability d = durability::sync);
    // Removing a missing key succeeds (and is logged like any mutation).
    result<void> remove(std::string_view key, durability d = durability::sync);
    // The mutations in order as one log entry: after a crash all of them
    // survive or none does. An empty batch only syncs (with durability::sync).
    result<void> apply(std::vector<mutation> batch, durability d = durability::sync);
    // Makes every mutation appended with durability::none durable.
    result<void> sync();

    // Calls fn(std::string_view key, std::string_view value) for the keys
    // starting with `prefix`, in key order. fn must not mutate the store.
    template<typename Fn>
    void for_each(std::string_view prefix, Fn&& fn) const {
        iteration_guard guard(_iterations);
        for (auto it = _map.lower_bound(prefix);
             it != _map.end() && std::string_view(it->first).starts_with(prefix); ++it) {
            fn(std::string_view(it->first), std::string_view(it->second));
        }
    }

    // The sequence number of the last mutation applied (0 for a new store).
    uint64_t last_sequence() const { return _last_seq; }

private:
    struct iteration_guard {
        explicit iteration_guard(int& n)
          : _n(n) {
            ++_n;
        }
        ~iteration_guard() { --_n; }
        int& _n;
    };

    kvstore(file_system& fs, std::string dir, options opts, std::shared_ptr<file> log);

    result<void> recover_log(uint64_t snapshot_seq);
    result<void> check_writable() const;
    result<size_t> validate(const std::vector<mutation>& batch) const;
    result<void> append(const base::iobuf& entry);
    result<void> maybe_snapshot();
    result<void> reset_log();
    // Marks the store unusable after a failure that leaves the disk's state
    // unknown, and returns that failure.
    base::error<errc> fail(base::error<errc> err);

    std::string log_path() const;
    std::string snapshot_path() const;

    file_system& _fs;
    std::string _dir;
    options _opts;
    std::shared_ptr<file> _log;
    std::map<std::string, std::string, std::less<>> _map;
    uint64_t _last_seq{0};
    // The log's length, and how much of it a completed fdatasync covers.
    uint64_t _log_bytes{0};
    uint64_t _synced_bytes{0};
    // After a failed snapshot, the log size at which to try again, so a
    // full disk does not cost a whole snapshot attempt per mutation.
    uint64_t _snapshot_retry_bytes{0};
    std::optional<std::string> _failure;
    mutable int _iterations{0};
};

} // namespace storage
