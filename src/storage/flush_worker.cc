#include "storage/flush_worker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace storage {
namespace {

// co_spawn needs a default-constructible result: nullopt is success.
using failure = std::optional<base::error<errc>>;

// A coroutine function, not a lambda, so its arguments live in its frame.
runtime::awaitable<failure> run_plan(flush_plan plan, file_system* fs, std::string dir) {
    for (auto& target : plan.files) {
        if (auto r = target.log->datasync(); !r) {
            co_return r.error_value();
        }
    }
    if (plan.sync_directory) {
        if (auto r = fs->sync_directory(dir); !r) {
            co_return r.error_value();
        }
    }
    co_return std::nullopt;
}

} // namespace

flush_worker::flush_worker() = default;

flush_worker::~flush_worker() {
    _thread.join();
}

runtime::awaitable<result<void>> flush_worker::execute(flush_plan plan, file_system& fs,
                                                       std::string dir) {
    auto work = run_plan(std::move(plan), &fs, std::move(dir));
    failure f = co_await boost::asio::co_spawn(_thread, std::move(work),
                                               boost::asio::use_awaitable);
    if (f) {
        co_return *f;
    }
    co_return base::ok;
}

} // namespace storage
