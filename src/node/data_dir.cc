#include "node/data_dir.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace node {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view cluster_id_file = "cluster_id";

base::error<errc> io_error(std::string_view what, const std::string& path) {
    return base::make_error(errc::io_error,
                            fmt::format("{} '{}': {}", what, path, std::strerror(errno)));
}

bool fsync_path(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

// Writes a small file so that after a crash it is either absent or whole:
// temporary file, fsync, rename, fsync of the directory.
base::result<void, errc> write_durably(const std::string& dir, std::string_view name,
                                       const std::string& text) {
    auto tmp = fmt::format("{}/{}.tmp", dir, name);
    auto final_path = fmt::format("{}/{}", dir, name);
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text << '\n';
        if (!out.flush()) {
            return io_error("cannot write", tmp);
        }
    }
    if (!fsync_path(tmp, O_RDONLY)) {
        return io_error("cannot sync", tmp);
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        return io_error("cannot rename", tmp);
    }
    if (!fsync_path(dir, O_RDONLY | O_DIRECTORY)) {
        return io_error("cannot sync", dir);
    }
    return base::ok;
}

} // namespace

std::string make_cluster_id() {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::random_device rd;
    uint8_t bytes[16];
    for (auto& b : bytes) {
        b = static_cast<uint8_t>(rd());
    }
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (uint8_t b : bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += alphabet[(acc >> bits) & 0x3f];
        }
    }
    if (bits > 0) {
        out += alphabet[(acc << (6 - bits)) & 0x3f];
    }
    return out;
}

base::result<data_dir, errc> data_dir::open(const std::string& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) {
        return base::make_error(
            errc::io_error,
            fmt::format("cannot create data directory '{}': {}", path, ec.message()));
    }
    auto lock_path = fmt::format("{}/.lock", path);
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return io_error("cannot open", lock_path);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return base::make_error(
            errc::in_use,
            fmt::format("data directory '{}' is in use by another node", path));
    }

    auto id_path = fmt::format("{}/{}", path, cluster_id_file);
    std::string cluster_id;
    if (std::ifstream in(id_path); in) {
        std::getline(in, cluster_id);
    }
    if (cluster_id.empty()) {
        cluster_id = make_cluster_id();
        if (auto r = write_durably(path, cluster_id_file, cluster_id); !r) {
            ::close(fd);
            return r.error_value();
        }
    }
    return data_dir(path, fd, std::move(cluster_id));
}

data_dir::data_dir(data_dir&& other) noexcept
  : _path(std::move(other._path))
  , _lock_fd(std::exchange(other._lock_fd, -1))
  , _cluster_id(std::move(other._cluster_id)) {}

data_dir::~data_dir() {
    if (_lock_fd >= 0) {
        ::close(_lock_fd); // releases the flock
    }
}

} // namespace node
