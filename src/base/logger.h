#pragma once

#include <fmt/format.h>

#include <optional>
#include <string_view>

namespace base {

enum class log_level { trace, debug, info, warn, error };

std::optional<log_level> parse_log_level(std::string_view name);
std::string_view to_string(log_level level);

// The process-wide threshold; lines below it cost one relaxed load.
void set_log_level(log_level level);
log_level current_log_level();

// The shard a thread runs, shown in every line it logs ("-" off shards).
void set_log_shard(int shard);

// A named logger per module: `static base::logger log{"storage"};`.
// Lines go to stderr whole (one write each), with time, level, shard and
// module, so lines from several shards never interleave mid-line.
class logger {
public:
    constexpr explicit logger(std::string_view module)
      : _module(module) {}

    template<typename... Args>
    void log(log_level level, fmt::format_string<Args...> f, Args&&... args) const {
        if (level < current_log_level()) {
            return;
        }
        write(level, fmt::format(f, std::forward<Args>(args)...));
    }
    template<typename... Args>
    void trace(fmt::format_string<Args...> f, Args&&... a) const {
        log(log_level::trace, f, std::forward<Args>(a)...);
    }
    template<typename... Args>
    void debug(fmt::format_string<Args...> f, Args&&... a) const {
        log(log_level::debug, f, std::forward<Args>(a)...);
    }
    template<typename... Args>
    void info(fmt::format_string<Args...> f, Args&&... a) const {
        log(log_level::info, f, std::forward<Args>(a)...);
    }
    template<typename... Args>
    void warn(fmt::format_string<Args...> f, Args&&... a) const {
        log(log_level::warn, f, std::forward<Args>(a)...);
    }
    template<typename... Args>
    void error(fmt::format_string<Args...> f, Args&&... a) const {
        log(log_level::error, f, std::forward<Args>(a)...);
    }

private:
    void write(log_level level, const std::string& message) const;

    std::string_view _module;
};

} // namespace base
