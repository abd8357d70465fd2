#include "bench/system/workload.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace bench {
namespace {

using set_result = base::result<void, workload_errc>;

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

std::string_view unquote(std::string_view s) {
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'')
        && s.back() == s.front()) {
        return s.substr(1, s.size() - 2);
    }
    return s;
}

set_result bad_value(std::string_view key, std::string_view value,
                     std::string_view want) {
    return base::make_error(workload_errc::bad_value,
                            fmt::format("{}: '{}' is not {}", key, value, want));
}

set_result set_int(int32_t& out, std::string_view key, std::string_view value,
                   int32_t min, int32_t max) {
    int64_t v = 0;
    const auto* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, v);
    if (ec != std::errc{} || ptr != end || v < min || v > max) {
        return bad_value(key, value, fmt::format("an integer in [{}, {}]", min, max));
    }
    out = static_cast<int32_t>(v);
    return base::ok;
}

set_result set_double(double& out, std::string_view key, std::string_view value,
                      double min, double max) {
    // std::from_chars for double exists in libstdc++ 12.
    double v = 0;
    const auto* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, v);
    if (ec != std::errc{} || ptr != end || !std::isfinite(v) || v < min || v > max) {
        return bad_value(key, value, fmt::format("a number in [{}, {}]", min, max));
    }
    out = v;
    return base::ok;
}

set_result set_bool(bool& out, std::string_view key, std::string_view value) {
    if (value == "true") {
        out = true;
    } else if (value == "false") {
        out = false;
    } else {
        return bad_value(key, value, "true or false");
    }
    return base::ok;
}

set_result set_choice(std::string& out, std::string_view key, std::string_view value,
                      std::initializer_list<std::string_view> allowed) {
    for (auto a : allowed) {
        if (value == a) {
            out = std::string(value);
            return base::ok;
        }
    }
    return bad_value(key, value, fmt::format("one of {}", fmt::join(allowed, ", ")));
}

set_result set_name(std::string& out, std::string_view key, std::string_view value,
                    bool may_be_empty) {
    if (value.empty() && !may_be_empty) {
        return bad_value(key, value, "a non-empty name");
    }
    if (value.size() > 249) {
        return bad_value(key, value, "at most 249 characters");
    }
    out = std::string(value);
    return base::ok;
}

} // namespace

set_result set_workload_key(workload& w, std::string_view key, std::string_view value) {
    value = unquote(trim(value));
    if (key == "name") {
        return set_name(w.name, key, value, false);
    } else if (key == "topic") {
        return set_name(w.topic, key, value, false);
    } else if (key == "partitions") {
        return set_int(w.partitions, key, value, 1, 10000);
    } else if (key == "message_size") {
        return set_int(w.message_size_bytes, key, value, message_size_min_bytes,
                       message_size_max_bytes);
    } else if (key == "keyed") {
        return set_bool(w.keyed, key, value);
    } else if (key == "producers") {
        return set_int(w.producers, key, value, 1, 64);
    } else if (key == "consumers") {
        return set_int(w.consumers, key, value, 0, 64);
    } else if (key == "consumer_group") {
        return set_name(w.consumer_group, key, value, true);
    } else if (key == "rate_mbps") {
        return set_double(w.rate_mbps, key, value, 0, 100000);
    } else if (key == "duration_s") {
        return set_int(w.duration_s, key, value, 1, 86400);
    } else if (key == "warmup_s") {
        return set_int(w.warmup_s, key, value, 0, 3600);
    } else if (key == "acks") {
        return set_choice(w.acks, key, value, {"all", "1", "0"});
    } else if (key == "linger_ms") {
        return set_int(w.linger_ms, key, value, 0, 60000);
    } else if (key == "batch_size") {
        return set_int(w.batch_size_bytes, key, value, 1, 1 << 30);
    } else if (key == "compression") {
        return set_choice(w.compression, key, value,
                          {"none", "gzip", "snappy", "lz4", "zstd"});
    } else if (key == "idempotence") {
        return set_bool(w.idempotence, key, value);
    } else if (key == "transaction_records") {
        return set_int(w.transaction_records, key, value, 0, 1000000);
    }
    return base::make_error(workload_errc::unknown_key,
                            fmt::format("unknown key '{}'", key));
}

workload_result parse_workload(std::string_view text) {
    workload w;
    std::set<std::string, std::less<>> seen;
    int line_no = 0;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        auto line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        ++line_no;
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) {
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            return base::make_error(
                workload_errc::syntax,
                fmt::format("line {}: expected 'key: value'", line_no));
        }
        const auto key = trim(line.substr(0, colon));
        if (!seen.emplace(key).second) {
            return base::make_error(workload_errc::duplicate_key,
                                    fmt::format("line {}: '{}' set twice", line_no, key));
        }
        auto r = set_workload_key(w, key, line.substr(colon + 1));
        if (!r) {
            return base::make_error(r.code(),
                                    fmt::format("line {}: {}", line_no, r.message()));
        }
    }
    return w;
}

workload_result load_workload(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return base::make_error(workload_errc::io, fmt::format("{}: cannot read", path));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    auto r = parse_workload(buf.str());
    if (!r) {
        return base::make_error(r.code(), fmt::format("{}: {}", path, r.message()));
    }
    return r;
}

} // namespace bench
