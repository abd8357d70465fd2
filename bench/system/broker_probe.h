#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

namespace bench {

// One reading of a process from /proc.
struct proc_sample {
    double cpu_s{0};           // utime + stime
    uint64_t rss_bytes{0};     // VmRSS
    uint64_t rss_hwm_bytes{0}; // VmHWM: the peak since the process started
};

// Reads /proc/<pid>/stat and /proc/<pid>/status; nullopt if the process is
// gone or the files do not parse.
std::optional<proc_sample> read_proc_sample(pid_t pid);
// The parsers, apart from the files, for tests.
std::optional<double> parse_proc_stat_cpu_s(const std::string& stat, long ticks_per_s);
std::optional<uint64_t> parse_proc_status_kb(const std::string& status,
                                             const std::string& field);

// The broker's figures over a measured window: CPU seconds between
// window_start() and window_end(), and the peak resident memory (the larger
// of VmHWM and the largest VmRSS a background thread saw while running).
class broker_probe {
public:
    static constexpr int sample_interval_ms = 200;

    explicit broker_probe(pid_t pid);
    ~broker_probe();
    broker_probe(const broker_probe&) = delete;
    broker_probe& operator=(const broker_probe&) = delete;

    // False when the pid cannot be read at all (a setup error).
    bool readable() const;
    void window_start();
    void window_end();

    double cpu_s() const { return _cpu_end_s - _cpu_start_s; }
    uint64_t peak_rss_bytes() const { return _peak_rss_bytes.load(); }

private:
    void sample_loop();
    void note(const proc_sample& s);

    pid_t _pid;
    double _cpu_start_s{0};
    double _cpu_end_s{0};
    std::atomic<uint64_t> _peak_rss_bytes{0};
    std::atomic<bool> _stop{false};
    std::thread _sampler;
};

} // namespace bench
