#pragma once

#include "base/named_type.h"

#include <cstdint>

// The vocabulary every layer shares. Strong types: an offset is not a
// count, a node id is not a partition id.

namespace model {

using node_id = base::named_type<int32_t, struct node_id_tag>;
using partition_id = base::named_type<int32_t, struct partition_id_tag>;
using term_id = base::named_type<int64_t, struct term_id_tag>;
using offset = base::named_type<int64_t, struct offset_tag>;

} // namespace model
