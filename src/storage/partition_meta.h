#pragma once

#include "model/fundamental.h"
#include "storage/epoch_map.h"
#include "storage/file.h"

#include <optional>
#include <string>
#include <vector>

namespace storage {

// What a partition directory keeps besides its segments, in one small file
// (`partition.meta`) replaced atomically: the log start offset (moved by
// DeleteRecords and retention inside a segment) and the leader epochs that
// start in closed segments. Epochs that start in the active segment are
// found again by the recovery scan, so the file is written only when the
// log start moves and when a segment closes with new epochs.
struct partition_meta {
    static constexpr std::string_view file_name = "partition.meta";

    model::offset log_start_offset{0};
    std::vector<epoch_map::entry> epochs;

    // nullopt when the file does not exist; corrupted when it fails its
    // checksum (it is only ever replaced whole, so that is not a crash).
    static result<std::optional<partition_meta>> load(file_system& fs,
                                                      const std::string& dir);
    result<void> store(file_system& fs, const std::string& dir) const;
};

} // namespace storage
