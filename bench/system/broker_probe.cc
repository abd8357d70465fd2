#include "bench/system/broker_probe.h"

#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

namespace bench {
namespace {

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

} // namespace

std::optional<double> parse_proc_stat_cpu_s(const std::string& stat, long ticks_per_s) {
    // The command name (field 2) may hold spaces and parentheses: fields
    // are counted from the last ')'. After it come state (3) ... utime (14),
    // stime (15).
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || ticks_per_s <= 0) {
        return std::nullopt;
    }
    std::istringstream in(stat.substr(paren + 1));
    std::vector<std::string> fields;
    std::string f;
    while (fields.size() < 13 && in >> f) {
        fields.push_back(f);
    }
    if (fields.size() < 13) {
        return std::nullopt;
    }
    try {
        const auto utime = std::stoull(fields[11]);
        const auto stime = std::stoull(fields[12]);
        return static_cast<double>(utime + stime) / static_cast<double>(ticks_per_s);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<uint64_t> parse_proc_status_kb(const std::string& status,
                                             const std::string& field) {
    const auto key = field + ":";
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) != 0) {
            continue;
        }
        std::istringstream value(line.substr(key.size()));
        uint64_t kb = 0;
        if (value >> kb) {
            return kb;
        }
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<proc_sample> read_proc_sample(pid_t pid) {
    const auto stat = read_file(fmt::format("/proc/{}/stat", pid));
    const auto status = read_file(fmt::format("/proc/{}/status", pid));
    if (!stat || !status) {
        return std::nullopt;
    }
    const auto cpu = parse_proc_stat_cpu_s(*stat, sysconf(_SC_CLK_TCK));
    const auto rss = parse_proc_status_kb(*status, "VmRSS");
    const auto hwm = parse_proc_status_kb(*status, "VmHWM");
    if (!cpu || !rss || !hwm) {
        return std::nullopt;
    }
    return proc_sample{*cpu, *rss * 1024, *hwm * 1024};
}

broker_probe::broker_probe(pid_t pid)
  : _pid(pid) {}

broker_probe::~broker_probe() {
    _stop = true;
    if (_sampler.joinable()) {
        _sampler.join();
    }
}

bool broker_probe::readable() const {
    return read_proc_sample(_pid).has_value();
}

void broker_probe::note(const proc_sample& s) {
    auto peak = _peak_rss_bytes.load();
    const auto seen = std::max(s.rss_bytes, s.rss_hwm_bytes);
    while (seen > peak && !_peak_rss_bytes.compare_exchange_weak(peak, seen)) {
    }
}

void broker_probe::window_start() {
    if (auto s = read_proc_sample(_pid)) {
        _cpu_start_s = s->cpu_s;
        note(*s);
    }
    _sampler = std::thread([this] { sample_loop(); });
}

void broker_probe::window_end() {
    if (auto s = read_proc_sample(_pid)) {
        _cpu_end_s = s->cpu_s;
        note(*s);
    } else {
        _cpu_end_s = _cpu_start_s;
    }
    _stop = true;
    if (_sampler.joinable()) {
        _sampler.join();
    }
}

void broker_probe::sample_loop() {
    while (!_stop) {
        if (auto s = read_proc_sample(_pid)) {
            note(*s);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(sample_interval_ms));
    }
}

} // namespace bench
