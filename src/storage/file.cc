#include "storage/file.h"

#include <fmt/format.h>

#include <charconv>

namespace storage {

std::string join_path(const std::string& dir, const std::string& name) {
    if (dir.empty() || dir.back() == '/') {
        return dir + name;
    }
    return dir + "/" + name;
}

std::string offset_file_name(int64_t offset, std::string_view extension) {
    return fmt::format("{:020}{}", offset, extension);
}

std::optional<int64_t> parse_offset_file_name(const std::string& name,
                                              std::string_view extension) {
    if (name.size() != 20 + extension.size() || !name.ends_with(extension)) {
        return std::nullopt;
    }
    int64_t offset = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + 20, offset);
    if (ec != std::errc{} || end != name.data() + 20 || offset < 0) {
        return std::nullopt;
    }
    return offset;
}

std::string parent_directory(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

result<void> write_file_atomically(file_system& fs, const std::string& path,
                                   const base::iobuf& bytes) {
    std::string tmp = path + ".tmp";
    auto f = fs.open(tmp, open_mode::truncate);
    if (!f) {
        return f.error_value();
    }
    if (auto r = (*f)->write_at(0, bytes); !r) {
        return r;
    }
    if (auto r = (*f)->datasync(); !r) {
        return r;
    }
    if (auto r = fs.rename(tmp, path); !r) {
        return r;
    }
    return fs.sync_directory(parent_directory(path));
}

result<base::iobuf> read_whole_file(file_system& fs, const std::string& path) {
    auto f = fs.open(path, open_mode::existing);
    if (!f) {
        return f.error_value();
    }
    auto size = (*f)->size();
    if (!size) {
        return size.error_value();
    }
    return (*f)->read_at(0, *size);
}

} // namespace storage
