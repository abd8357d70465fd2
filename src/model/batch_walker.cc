#include "model/batch_walker.h"

#include <fmt/format.h>

namespace model {

batch_result<std::optional<record_batch>> batch_walker::fail(
    const base::error<batch_errc>& e) {
    _done = true;
    return base::make_error(e.code,
                            fmt::format("batch at byte {}: {}", _position, e.message));
}

batch_result<std::optional<record_batch>> batch_walker::next() {
    using none = std::optional<record_batch>;
    if (_done || _data.empty()) {
        return none{};
    }
    // Fewer bytes than a size field is the start of a batch cut short;
    // past that, what the size and magic say is judged.
    auto size = peek_batch_size(_data);
    if (!size && _data.size_bytes() >= batch_layout::log_overhead) {
        return fail(size.error_value());
    }
    if (!size || *size > _data.size_bytes()) {
        _partial = _data.size_bytes();
        _done = true;
        return none{};
    }
    auto batch = parse_record_batch(_data.share(0, *size), _options);
    if (!batch) {
        return fail(batch.error_value());
    }
    _data.trim_front(*size);
    _position += *size;
    return none{std::move(*batch)};
}

} // namespace model
