#include "storage/producer_snapshot.h"

#include <fmt/format.h>

#include <algorithm>

namespace storage {
namespace {

constexpr std::string_view extension = ".snapshot";

std::string snapshot_path(const std::string& dir, model::offset offset) {
    return join_path(dir, offset_file_name(offset(), extension));
}

} // namespace

result<void> store_producer_snapshot(file_system& fs, const std::string& dir,
                                     model::offset offset, const producer_state& state) {
    auto bytes = state.encode();
    return write_file_atomically(fs, snapshot_path(dir, offset),
                                 base::iobuf::copy_of(bytes));
}

result<producer_state> load_producer_snapshot(file_system& fs, const std::string& dir,
                                              model::offset offset) {
    auto content = read_whole_file(fs, snapshot_path(dir, offset));
    if (!content) {
        return content.error_value();
    }
    return producer_state::decode(content->to_vector());
}

result<void> remove_producer_snapshot(file_system& fs, const std::string& dir,
                                      model::offset offset) {
    return fs.remove(snapshot_path(dir, offset));
}

result<std::vector<model::offset>> list_producer_snapshots(file_system& fs,
                                                           const std::string& dir) {
    auto names = fs.list(dir);
    if (!names) {
        return names.error_value();
    }
    std::vector<model::offset> out;
    for (const auto& name : *names) {
        if (auto offset = parse_offset_file_name(name, extension)) {
            out.push_back(model::offset(*offset));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace storage
