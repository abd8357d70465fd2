#pragma once

#include "model/fundamental.h"
#include "storage/file.h"
#include "storage/producer_state.h"

#include <string>
#include <vector>

// Producer state snapshots of a partition: <dir>/<offset>.snapshot holds the
// state of every producer after the batches below <offset>, so recovery
// replays only the log from there on.

namespace storage {

result<void> store_producer_snapshot(file_system& fs, const std::string& dir,
                                     model::offset offset, const producer_state& state);
result<producer_state> load_producer_snapshot(file_system& fs, const std::string& dir,
                                              model::offset offset);
result<void> remove_producer_snapshot(file_system& fs, const std::string& dir,
                                      model::offset offset);
// The offsets of the snapshots in `dir`, in increasing order.
result<std::vector<model::offset>> list_producer_snapshots(file_system& fs,
                                                           const std::string& dir);

} // namespace storage
