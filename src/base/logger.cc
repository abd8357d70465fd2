#include "base/logger.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace base {
namespace {

std::atomic<log_level> g_level{log_level::info};
thread_local int t_shard = -1;

constexpr std::string_view level_names[] = {"trace", "debug", "info", "warn", "error"};

} // namespace

std::optional<log_level> parse_log_level(std::string_view name) {
    for (size_t i = 0; i < std::size(level_names); ++i) {
        if (level_names[i] == name) {
            return static_cast<log_level>(i);
        }
    }
    return std::nullopt;
}

std::string_view to_string(log_level level) {
    return level_names[static_cast<size_t>(level)];
}

void set_log_level(log_level level) {
    g_level.store(level, std::memory_order_relaxed);
}

log_level current_log_level() {
    return g_level.load(std::memory_order_relaxed);
}

void set_log_shard(int shard) {
    t_shard = shard;
}

void logger::write(log_level level, const std::string& message) const {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto secs = time_point_cast<seconds>(now);
    auto micros = duration_cast<microseconds>(now - secs).count();
    std::time_t t = system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::string shard = t_shard >= 0 ? std::to_string(t_shard) : "-";
    auto line = fmt::format(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z {:<5} [shard {}] {} - {}\n",
        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
        micros, to_string(level), shard, _module, message);
    // One write(2) per line: lines from several threads never interleave.
    size_t done = 0;
    while (done < line.size()) {
        auto n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
        if (n <= 0) {
            return;
        }
        done += static_cast<size_t>(n);
    }
}

} // namespace base
