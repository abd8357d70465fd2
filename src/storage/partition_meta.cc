#include "storage/partition_meta.h"

#include "base/crc.h"
#include "storage/fixed_width.h"

#include <fmt/format.h>

#include <cstring>

namespace storage {
namespace {

constexpr uint32_t meta_magic = 0x4154504d; // "MPTA"
constexpr uint32_t meta_version = 1;

} // namespace

result<std::optional<partition_meta>> partition_meta::load(file_system& fs,
                                                           const std::string& dir) {
    std::string path = join_path(dir, std::string(file_name));
    auto content = read_whole_file(fs, path);
    if (!content) {
        if (content.code() == errc::not_found) {
            return std::optional<partition_meta>{};
        }
        return content.error_value();
    }
    auto bytes = content->to_vector();
    auto corrupt = [&](std::string_view why) {
        return base::make_error(errc::corrupted, fmt::format("{}: {}", path, why));
    };
    constexpr size_t fixed = 4 + 4 + 8 + 4;
    if (auto problem = crc_trailer_problem(bytes, fixed)) {
        return corrupt(*problem);
    }
    size_t body = bytes.size() - 4;
    size_t pos = 0;
    partition_meta m;
    if (get_fixed<uint32_t>(bytes, pos) != meta_magic
        || get_fixed<uint32_t>(bytes, pos) != meta_version) {
        return corrupt("unknown format");
    }
    m.log_start_offset = model::offset(get_fixed<int64_t>(bytes, pos));
    uint32_t count = get_fixed<uint32_t>(bytes, pos);
    if (body - fixed != size_t{count} * 16) {
        return corrupt("wrong length");
    }
    for (uint32_t i = 0; i < count; ++i) {
        model::term_id epoch(get_fixed<int64_t>(bytes, pos));
        model::offset start(get_fixed<int64_t>(bytes, pos));
        m.epochs.push_back({epoch, start});
    }
    return std::optional<partition_meta>(std::move(m));
}

result<void> partition_meta::store(file_system& fs, const std::string& dir) const {
    std::vector<uint8_t> out;
    put_fixed<uint32_t>(out, meta_magic);
    put_fixed<uint32_t>(out, meta_version);
    put_fixed<int64_t>(out, log_start_offset());
    put_fixed<uint32_t>(out, static_cast<uint32_t>(epochs.size()));
    for (const auto& e : epochs) {
        put_fixed<int64_t>(out, e.epoch());
        put_fixed<int64_t>(out, e.start());
    }
    put_fixed<uint32_t>(out, base::crc32c(out));
    return write_file_atomically(fs, join_path(dir, std::string(file_name)),
                                 base::iobuf::copy_of(out));
}

} // namespace storage
