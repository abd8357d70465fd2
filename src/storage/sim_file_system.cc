#include "storage/sim_file_system.h"

#include "base/vassert.h"

#include <fmt/format.h>

#include <algorithm>

namespace storage {

class sim_file final : public file {
public:
    sim_file(sim_file_system& fs, std::shared_ptr<sim_file_system::inode> node,
             std::string path)
      : _fs(fs)
      , _node(std::move(node))
      , _path(std::move(path)) {}

    result<void> write_at(uint64_t pos, const base::iobuf& data) override {
        std::lock_guard lock(_fs._mutex);
        auto& bytes = _node->data;
        // With a capacity, the file may grow by the space left and no more.
        uint64_t end = pos + data.size_bytes();
        uint64_t limit = end;
        if (_fs._capacity) {
            uint64_t free = *_fs._capacity > _fs._used ? *_fs._capacity - _fs._used : 0;
            limit = std::min(end, std::max<uint64_t>(bytes.size(), bytes.size() + free));
        }
        uint64_t writable = limit > pos ? limit - pos : 0;
        uint64_t new_size = std::max<uint64_t>(bytes.size(), pos + writable);
        _fs._used += new_size - bytes.size();
        bytes.resize(new_size);
        data.copy_out(0, std::span<uint8_t>(bytes.data() + pos, writable));
        if (writable < data.size_bytes()) {
            return base::make_error(errc::no_space,
                                    fmt::format("write {}: no space left", _path));
        }
        return base::ok;
    }

    result<base::iobuf> read_at(uint64_t pos, size_t len) override {
        std::lock_guard lock(_fs._mutex);
        const auto& bytes = _node->data;
        if (pos >= bytes.size()) {
            return base::iobuf{};
        }
        size_t n = std::min<size_t>(len, bytes.size() - pos);
        return base::iobuf::copy_of(std::span(bytes.data() + pos, n));
    }

    result<void> truncate(uint64_t size) override {
        std::lock_guard lock(_fs._mutex);
        auto& bytes = _node->data;
        if (size > bytes.size()) {
            _fs._used += size - bytes.size();
        } else {
            _fs._used -= bytes.size() - size;
        }
        bytes.resize(size);
        return base::ok;
    }

    result<void> datasync() override {
        std::lock_guard lock(_fs._mutex);
        if (_fs._failing_datasyncs > 0) {
            --_fs._failing_datasyncs;
            return base::make_error(
                errc::io_error, fmt::format("fdatasync {}: input/output error", _path));
        }
        _node->durable = _node->data;
        ++_fs._datasyncs;
        return base::ok;
    }

    result<uint64_t> size() override {
        std::lock_guard lock(_fs._mutex);
        return static_cast<uint64_t>(_node->data.size());
    }

private:
    sim_file_system& _fs;
    std::shared_ptr<sim_file_system::inode> _node;
    std::string _path;
};

sim_file_system::sim_file_system(uint64_t seed)
  : _rng(seed) {}

result<std::shared_ptr<file>> sim_file_system::open(const std::string& path,
                                                    open_mode mode) {
    std::lock_guard lock(_mutex);
    auto it = _files.find(path);
    if (it == _files.end()) {
        if (mode == open_mode::existing) {
            return base::make_error(errc::not_found,
                                    fmt::format("open {}: no such file", path));
        }
        it = _files.emplace(path, std::make_shared<inode>()).first;
    } else if (mode == open_mode::truncate) {
        _used -= it->second->data.size();
        it->second->data.clear();
    }
    return std::shared_ptr<file>(std::make_shared<sim_file>(*this, it->second, path));
}

result<void> sim_file_system::make_directories(const std::string&) {
    return base::ok;
}

result<std::vector<std::string>> sim_file_system::list(const std::string& dir) {
    std::lock_guard lock(_mutex);
    std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    std::vector<std::string> names;
    for (const auto& [path, node] : _files) {
        if (path.starts_with(prefix)
            && path.find('/', prefix.size()) == std::string::npos) {
            names.push_back(path.substr(prefix.size()));
        }
    }
    return names;
}

result<void> sim_file_system::remove(const std::string& path) {
    std::lock_guard lock(_mutex);
    if (auto it = _files.find(path); it != _files.end()) {
        _used -= it->second->data.size();
        _files.erase(it);
    }
    return base::ok;
}

result<void> sim_file_system::remove_directory(const std::string& dir) {
    std::lock_guard lock(_mutex);
    std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    for (auto it = _files.begin(); it != _files.end();) {
        if (it->first.starts_with(prefix)) {
            _used -= it->second->data.size();
            it = _files.erase(it);
        } else {
            ++it;
        }
    }
    return base::ok;
}

result<void> sim_file_system::rename(const std::string& from, const std::string& to) {
    std::lock_guard lock(_mutex);
    auto it = _files.find(from);
    if (it == _files.end()) {
        return base::make_error(errc::not_found,
                                fmt::format("rename {}: no such file", from));
    }
    auto node = it->second;
    _files.erase(it);
    if (auto old = _files.find(to); old != _files.end()) {
        _used -= old->second->data.size();
    }
    _files[to] = std::move(node);
    return base::ok;
}

result<void> sim_file_system::sync_directory(const std::string&) {
    return base::ok;
}

bool sim_file_system::exists(const std::string& path) {
    std::lock_guard lock(_mutex);
    return _files.contains(path);
}

std::vector<uint8_t> sim_file_system::after_power_loss(const inode& node) {
    // The base is what was synced; what changed since may or may not have
    // reached the disk, torn at any byte.
    const auto& synced = node.durable;
    const auto& latest = node.data;
    size_t common = 0;
    size_t limit = std::min(synced.size(), latest.size());
    while (common < limit && synced[common] == latest[common]) {
        ++common;
    }
    if (_rng() & 1) {
        return synced; // nothing since the last sync reached the disk
    }
    // The file's new size may be anything up to the latest; within it,
    // whole sectors of what was written since reached the disk or did
    // not (reading back as zeros, as unwritten extents do). A sector is
    // the unit a disk writes atomically.
    constexpr size_t sector = 512;
    std::uniform_int_distribution<size_t> cut(common, latest.size());
    std::vector<uint8_t> out(latest.begin(), latest.begin() + cut(_rng));
    if (_rng() & 1) {
        for (size_t s = common / sector * sector; s < out.size(); s += sector) {
            if (_rng() % 4 == 0) {
                size_t from = std::max(s, common);
                size_t to = std::min(s + sector, out.size());
                std::fill(out.begin() + from, out.begin() + to, uint8_t{0});
            }
        }
    }
    return out;
}

void sim_file_system::power_loss() {
    std::lock_guard lock(_mutex);
    _used = 0;
    for (auto& [path, node] : _files) {
        auto survived = after_power_loss(*node);
        auto fresh = std::make_shared<inode>();
        fresh->data = survived;
        fresh->durable = std::move(survived);
        _used += fresh->data.size();
        node = std::move(fresh);
    }
}

void sim_file_system::fail_datasyncs(int count) {
    std::lock_guard lock(_mutex);
    _failing_datasyncs = count;
}

void sim_file_system::set_capacity(std::optional<uint64_t> bytes) {
    std::lock_guard lock(_mutex);
    _capacity = bytes;
}

uint64_t sim_file_system::datasync_count() const {
    std::lock_guard lock(_mutex);
    return _datasyncs;
}

uint64_t sim_file_system::used_bytes() const {
    std::lock_guard lock(_mutex);
    return _used;
}

std::vector<uint8_t>& sim_file_system::bytes_of(const std::string& path) {
    std::lock_guard lock(_mutex);
    auto it = _files.find(path);
    vassert(it != _files.end(), "no file {}", path);
    return it->second->data;
}

} // namespace storage
