#include "storage/errc.h"

namespace storage {

std::string_view to_string(errc code) {
    switch (code) {
        case errc::io_error:
            return "io_error";
        case errc::no_space:
            return "no_space";
        case errc::corrupted:
            return "corrupted";
        case errc::offset_out_of_range:
            return "offset_out_of_range";
        case errc::invalid_argument:
            return "invalid_argument";
        case errc::not_found:
            return "not_found";
        case errc::out_of_order_sequence:
            return "out_of_order_sequence";
        case errc::invalid_producer_epoch:
            return "invalid_producer_epoch";
        case errc::invalid_txn_state:
            return "invalid_txn_state";
    }
    return "unknown";
}

} // namespace storage
