#include "storage/file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace storage {
namespace {

base::error<errc> from_errno(int err, std::string_view what, const std::string& path) {
    errc code = errc::io_error;
    if (err == ENOSPC || err == EDQUOT) {
        code = errc::no_space;
    } else if (err == ENOENT) {
        code = errc::not_found;
    }
    return base::make_error(code,
                            fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

class posix_file final : public file {
public:
    posix_file(int fd, std::string path)
      : _fd(fd)
      , _path(std::move(path)) {}
    ~posix_file() override { ::close(_fd); }

    result<void> write_at(uint64_t pos, const base::iobuf& data) override {
        // pwritev in groups of at most IOV_MAX fragments; a short write
        // continues from where it stopped.
        constexpr size_t max_iov = 1024;
        iovec iov[max_iov];
        const auto& frags = data.fragments();
        size_t frag = 0;
        size_t skip = 0; // bytes of frags[frag] already written
        while (frag < frags.size()) {
            size_t n = 0;
            for (size_t i = frag; i < frags.size() && n < max_iov; ++i, ++n) {
                size_t off = i == frag ? skip : 0;
                iov[n] = {const_cast<uint8_t*>(frags[i].data()) + off,
                          frags[i].size() - off};
            }
            ssize_t w = ::pwritev(_fd, iov, static_cast<int>(n), static_cast<off_t>(pos));
            if (w < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return from_errno(errno, "write", _path);
            }
            if (w == 0) {
                return base::make_error(errc::io_error,
                                        fmt::format("write {}: no progress", _path));
            }
            pos += static_cast<uint64_t>(w);
            size_t left = static_cast<size_t>(w);
            while (left > 0) {
                size_t in_frag = frags[frag].size() - skip;
                if (left < in_frag) {
                    skip += left;
                    break;
                }
                left -= in_frag;
                skip = 0;
                ++frag;
            }
        }
        return base::ok;
    }

    result<base::iobuf> read_at(uint64_t pos, size_t len) override {
        auto buf = std::shared_ptr<uint8_t[]>(new uint8_t[len ? len : 1]);
        size_t got = 0;
        while (got < len) {
            ssize_t r =
                ::pread(_fd, buf.get() + got, len - got, static_cast<off_t>(pos + got));
            if (r < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return from_errno(errno, "read", _path);
            }
            if (r == 0) {
                break;
            }
            got += static_cast<size_t>(r);
        }
        return base::iobuf::adopt(std::move(buf), got);
    }

    result<void> truncate(uint64_t size) override {
        if (::ftruncate(_fd, static_cast<off_t>(size)) != 0) {
            return from_errno(errno, "truncate", _path);
        }
        return base::ok;
    }

    result<void> datasync() override {
        if (::fdatasync(_fd) != 0) {
            return from_errno(errno, "fdatasync", _path);
        }
        return base::ok;
    }

    result<uint64_t> size() override {
        struct stat st {};
        if (::fstat(_fd, &st) != 0) {
            return from_errno(errno, "stat", _path);
        }
        return static_cast<uint64_t>(st.st_size);
    }

private:
    int _fd;
    std::string _path;
};

class posix_fs final : public file_system {
public:
    result<std::shared_ptr<file>> open(const std::string& path, open_mode mode) override {
        int flags = O_RDWR | O_CLOEXEC;
        if (mode == open_mode::create) {
            flags |= O_CREAT;
        } else if (mode == open_mode::truncate) {
            flags |= O_CREAT | O_TRUNC;
        }
        int fd = ::open(path.c_str(), flags, 0644);
        if (fd < 0) {
            return from_errno(errno, "open", path);
        }
        return std::shared_ptr<file>(std::make_shared<posix_file>(fd, path));
    }

    result<void> make_directories(const std::string& path) override {
        std::error_code ec;
        std::filesystem::create_directories(path, ec);
        if (ec) {
            return from_errno(ec.value(), "mkdir", path);
        }
        return base::ok;
    }

    result<std::vector<std::string>> list(const std::string& dir) override {
        std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
        if (!d) {
            return from_errno(errno, "opendir", dir);
        }
        std::vector<std::string> names;
        while (dirent* e = ::readdir(d.get())) {
            if (e->d_type == DT_REG) {
                names.emplace_back(e->d_name);
            }
        }
        return names;
    }

    result<void> remove(const std::string& path) override {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            return from_errno(errno, "unlink", path);
        }
        return base::ok;
    }

    result<void> remove_directory(const std::string& dir) override {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        if (ec) {
            return from_errno(ec.value(), "remove", dir);
        }
        return base::ok;
    }

    result<void> rename(const std::string& from, const std::string& to) override {
        if (::rename(from.c_str(), to.c_str()) != 0) {
            return from_errno(errno, "rename", from);
        }
        return base::ok;
    }

    result<void> sync_directory(const std::string& dir) override {
        int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            return from_errno(errno, "open", dir);
        }
        int rc = ::fsync(fd);
        int err = errno;
        ::close(fd);
        if (rc != 0) {
            return from_errno(err, "fsync", dir);
        }
        return base::ok;
    }

    bool exists(const std::string& path) override {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0;
    }
};

} // namespace

file_system& posix_file_system() {
    static posix_fs fs;
    return fs;
}

} // namespace storage
