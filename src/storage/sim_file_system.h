#pragma once

#include "storage/file.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

namespace storage {

// A disk in memory, for tests and simulations, that remembers what each
// file held at its last completed fdatasync. power_loss() then does what a
// power cut may do: every file keeps its synced bytes, and of the bytes
// written (or truncated away) since, an arbitrary prefix survives, torn:
// some of its 512-byte sectors read back as zeros. Directory operations
// take effect at
// once: the model is of data loss, the harder case for a log.
//
// It can also run out of space: with a capacity set, a write that would
// exceed it writes what fits and fails with no_space, as ENOSPC does.
//
// Thread-safe (one lock), so a helper thread may fdatasync through it.
class sim_file_system final : public file_system {
public:
    explicit sim_file_system(uint64_t seed = 1);

    result<std::shared_ptr<file>> open(const std::string& path, open_mode mode) override;
    result<void> make_directories(const std::string& path) override;
    result<std::vector<std::string>> list(const std::string& dir) override;
    result<void> remove(const std::string& path) override;
    result<void> remove_directory(const std::string& dir) override;
    result<void> rename(const std::string& from, const std::string& to) override;
    result<void> sync_directory(const std::string& dir) override;
    bool exists(const std::string& path) override;

    // Simulated power cut. Files opened before it must not be used after.
    void power_loss();
    // The next `count` fdatasyncs fail with io_error (and make nothing
    // durable), as a disk error would.
    void fail_datasyncs(int count);
    // Total bytes all files may hold; nullopt for no limit.
    void set_capacity(std::optional<uint64_t> bytes);
    uint64_t datasync_count() const;
    uint64_t used_bytes() const;

    // The bytes of a file, to damage them in a test; asserts it exists.
    std::vector<uint8_t>& bytes_of(const std::string& path);

    struct inode {
        std::vector<uint8_t> data;
        std::vector<uint8_t> durable;
    };

private:
    friend class sim_file;
    std::vector<uint8_t> after_power_loss(const inode& node);

    mutable std::mutex _mutex;
    std::map<std::string, std::shared_ptr<inode>> _files;
    std::mt19937_64 _rng;
    std::optional<uint64_t> _capacity;
    uint64_t _used{0};
    uint64_t _datasyncs{0};
    int _failing_datasyncs{0};
};

} // namespace storage
