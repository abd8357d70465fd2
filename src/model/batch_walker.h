#pragma once

#include "base/iobuf.h"
#include "model/errc.h"
#include "model/record_batch.h"

#include <cstddef>
#include <optional>

namespace model {

// Walks batches laid end to end: a Produce request's or a Fetch response's
// records field, a log segment. Each whole batch is parsed with the given
// options and shared out of the data, never copied. A batch cut short at
// the end is not corruption (a Fetch response may end with one, by
// design): it ends the walk without an error, and partial_bytes() says
// how much of it there was. A Produce request must not end with one; its
// handler checks partial_bytes(). An error ends the walk.
class batch_walker {
public:
    explicit batch_walker(base::iobuf data, const parse_options& options = {})
      : _data(std::move(data))
      , _options(options) {}

    // The next batch; nullopt at the end of the data or at a partial batch.
    batch_result<std::optional<record_batch>> next();

    // Bytes of the incomplete batch the walk stopped at; 0 if none.
    size_t partial_bytes() const { return _partial; }
    // Bytes of the whole batches walked so far.
    size_t position() const { return _position; }

private:
    batch_result<std::optional<record_batch>> fail(const base::error<batch_errc>& e);

    base::iobuf _data;
    parse_options _options;
    size_t _position{0};
    size_t _partial{0};
    bool _done{false};
};

} // namespace model
