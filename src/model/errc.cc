#include "model/errc.h"

namespace model {

std::string_view to_string(batch_errc code) {
    switch (code) {
        case batch_errc::truncated:
            return "truncated";
        case batch_errc::bad_length:
            return "bad_length";
        case batch_errc::unsupported_magic:
            return "unsupported_magic";
        case batch_errc::invalid_magic:
            return "invalid_magic";
        case batch_errc::crc_mismatch:
            return "crc_mismatch";
        case batch_errc::unsupported_compression:
            return "unsupported_compression";
        case batch_errc::bad_compressed_data:
            return "bad_compressed_data";
        case batch_errc::uncompressed_too_large:
            return "uncompressed_too_large";
        case batch_errc::invalid_record_count:
            return "invalid_record_count";
        case batch_errc::invalid_record:
            return "invalid_record";
        case batch_errc::invalid_offsets:
            return "invalid_offsets";
        case batch_errc::invalid_control_record:
            return "invalid_control_record";
        case batch_errc::invalid_timestamp:
            return "invalid_timestamp";
        case batch_errc::trailing_bytes:
            return "trailing_bytes";
    }
    return "unknown";
}

} // namespace model
