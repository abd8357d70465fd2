#pragma once

#include "base/iobuf.h"
#include "storage/errc.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The file layer every storage component uses, behind an interface so that
// tests can put a simulated disk underneath: one that loses or tears, on a
// simulated power loss, every byte no completed fdatasync covered.

namespace storage {

// One open file. Positioned I/O only; no shared cursor.
class file {
public:
    virtual ~file() = default;

    // Writes all of `data` at `pos`, or fails having written a prefix that
    // the caller must treat as garbage (it truncates it away).
    virtual result<void> write_at(uint64_t pos, const base::iobuf& data) = 0;
    result<void> write_at(uint64_t pos, std::span<const uint8_t> bytes) {
        return write_at(pos, base::iobuf::copy_of(bytes));
    }
    // Up to `len` bytes from `pos`; fewer only at the end of the file.
    virtual result<base::iobuf> read_at(uint64_t pos, size_t len) = 0;
    virtual result<void> truncate(uint64_t size) = 0;
    // fdatasync: every byte written before the call is durable after it.
    // Safe to call from a helper thread while the owner writes further on.
    virtual result<void> datasync() = 0;
    virtual result<uint64_t> size() = 0;
};

enum class open_mode {
    // Opens an existing file; not_found if there is none.
    existing,
    // Creates the file or opens the existing one.
    create,
    // Creates the file, emptied if it existed.
    truncate,
};

class file_system {
public:
    virtual ~file_system() = default;

    virtual result<std::shared_ptr<file>> open(const std::string& path,
                                               open_mode mode) = 0;
    // Creates the directory and its parents; succeeds if it exists.
    virtual result<void> make_directories(const std::string& path) = 0;
    // The names (not paths) of the regular files in a directory.
    virtual result<std::vector<std::string>> list(const std::string& dir) = 0;
    // Succeeds when the file did not exist.
    virtual result<void> remove(const std::string& path) = 0;
    // A directory and everything in it; succeeds when it did not exist.
    virtual result<void> remove_directory(const std::string& dir) = 0;
    virtual result<void> rename(const std::string& from, const std::string& to) = 0;
    // fsync of the directory: makes creations, renames and removals in it
    // durable.
    virtual result<void> sync_directory(const std::string& dir) = 0;
    virtual bool exists(const std::string& path) = 0;
};

// The real disk: POSIX calls, blocking. See the module README for which
// thread may call what.
file_system& posix_file_system();

// Writes `bytes` to `path` so that after a crash the file holds either its
// old content or all of the new: a temporary file, fdatasync, rename over
// the target, directory fsync.
result<void> write_file_atomically(file_system& fs, const std::string& path,
                                   const base::iobuf& bytes);
// The whole content of a file.
result<base::iobuf> read_whole_file(file_system& fs, const std::string& path);

std::string join_path(const std::string& dir, const std::string& name);
// Files named by an offset, as Kafka names them: 20 digits, then the
// extension ("00000000000000000042.log").
std::string offset_file_name(int64_t offset, std::string_view extension);
std::optional<int64_t> parse_offset_file_name(const std::string& name,
                                              std::string_view extension);
// The directory part of a path ("." when there is none).
std::string parent_directory(const std::string& path);

} // namespace storage
