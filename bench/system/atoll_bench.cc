// atoll-bench: runs one workload file against a Kafka-compatible broker (or
// librdkafka's in-memory mock cluster) and reports throughput, latency and
// the broker's CPU and memory. See --help.

#include "bench/system/report.h"
#include "bench/system/runner.h"
#include "bench/system/workload.h"

#include <fmt/format.h>

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

constexpr std::string_view help_text =
    R"(usage: atoll-bench --workload FILE [--bootstrap HOST:PORT | --mock]
                   [--broker-pid PID] [--json OUT.json]
                   [--duration-s N] [--warmup-s N] [--rate-mbps X]

Runs one workload: creates the topic, starts the consumers, then the
producers (each its own librdkafka client and thread) for warm-up plus
duration, and reports what happened after the warm-up.

  --workload FILE      workload file (required), `key: value` lines, # comments:
                         name, topic (bench), partitions (1), message_size (1024,
                         bytes, >= 8), keyed (false), producers (1), consumers (1),
                         consumer_group (empty: consumers are assigned partitions),
                         rate_mbps (0 = unthrottled; MB/s over all producers),
                         duration_s (60), warmup_s (10), acks (all|1|0),
                         linger_ms (1), batch_size (131072, bytes),
                         compression (none|gzip|snappy|lz4|zstd),
                         idempotence (false), transaction_records (0 = not
                         transactional; N: commit every N records)
  --bootstrap HOST:PORT  the broker (default 127.0.0.1:9092)
  --mock               use librdkafka's in-memory mock cluster (1 broker) instead
  --broker-pid PID     read the broker's CPU time (/proc/PID/stat) and peak
                       resident memory (VmHWM, sampled VmRSS) over the window
  --json OUT.json      also write the figures as one JSON object: workload,
                       target, duration_s, publish_msgs_per_s, publish_mb_per_s,
                       consume_msgs_per_s, consume_mb_per_s,
                       publish_latency_ms {p50,p99,p999,max},
                       e2e_latency_ms {p50,p99,p999,max}, errors, broker_cpu_s,
                       broker_peak_rss_bytes, cpu_s_per_gb (broker figures null
                       without --broker-pid, latencies null without samples)
  --duration-s N       override the file's duration_s
  --warmup-s N         override the file's warmup_s
  --rate-mbps X        override the file's rate_mbps
  --help               this text

Publish latency is send to delivery report; end-to-end latency is send to
receipt (every value starts with its send time). MB is 1e6 bytes.
Exit status: 0 after a run (delivery errors are counted, not fatal),
1 when setup fails, 2 for a bad command line or workload file.
)";

struct options {
    std::string workload_path;
    std::string bootstrap{"127.0.0.1:9092"};
    bool bootstrap_given{false};
    bool mock{false};
    std::optional<pid_t> broker_pid;
    std::string json_path;
    std::vector<std::pair<std::string, std::string>> overrides;
};

int usage_error(const std::string& message) {
    fmt::print(stderr, "atoll-bench: {}\n(see atoll-bench --help)\n", message);
    return exit_usage;
}

std::optional<pid_t> parse_pid(std::string_view s) {
    int v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size() || v <= 0) {
        return std::nullopt;
    }
    return static_cast<pid_t>(v);
}

// Returns an exit code when the process should stop (help, or an error).
std::optional<int> parse_args(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            fmt::print("{}", help_text);
            return exit_ok;
        }
        if (arg == "--mock") {
            o.mock = true;
            continue;
        }
        if (i + 1 >= argc) {
            return usage_error(fmt::format("unknown option or missing value: {}", arg));
        }
        const std::string value = argv[++i];
        if (arg == "--workload") {
            o.workload_path = value;
        } else if (arg == "--bootstrap") {
            o.bootstrap = value;
            o.bootstrap_given = true;
        } else if (arg == "--broker-pid") {
            o.broker_pid = parse_pid(value);
            if (!o.broker_pid) {
                return usage_error(fmt::format("--broker-pid: '{}' is not a pid", value));
            }
        } else if (arg == "--json") {
            o.json_path = value;
        } else if (arg == "--duration-s" || arg == "--warmup-s" || arg == "--rate-mbps") {
            const char* key = arg == "--duration-s" ? "duration_s"
                : arg == "--warmup-s"               ? "warmup_s"
                                                    : "rate_mbps";
            o.overrides.emplace_back(key, value);
        } else {
            return usage_error(fmt::format("unknown option {}", arg));
        }
    }
    if (o.workload_path.empty()) {
        return usage_error("--workload FILE is required");
    }
    if (o.mock && o.bootstrap_given) {
        return usage_error("--bootstrap and --mock exclude each other");
    }
    return std::nullopt;
}

// Ends the process if a run outlives its bound: every wait inside is bounded,
// and this guards against a client call that is not.
class watchdog {
public:
    explicit watchdog(std::chrono::seconds limit)
      : _thread([this, limit] {
          std::unique_lock lock(_mutex);
          if (!_cv.wait_for(lock, limit, [this] { return _done; })) {
              fmt::print(stderr, "atoll-bench: run exceeded {} s, giving up\n",
                         limit.count());
              std::fflush(stderr);
              _exit(exit_failed);
          }
      }) {}
    ~watchdog() {
        {
            std::lock_guard lock(_mutex);
            _done = true;
        }
        _cv.notify_all();
        _thread.join();
    }

private:
    std::mutex _mutex;
    std::condition_variable _cv;
    bool _done{false};
    std::thread _thread;
};

} // namespace

int main(int argc, char** argv) {
    options o;
    if (auto code = parse_args(argc, argv, o)) {
        return *code;
    }
    auto loaded = bench::load_workload(o.workload_path);
    if (!loaded) {
        return usage_error(loaded.message());
    }
    auto w = std::move(*loaded);
    for (const auto& [key, value] : o.overrides) {
        if (auto r = bench::set_workload_key(w, key, value); !r) {
            return usage_error(fmt::format("command line: {}", r.message()));
        }
    }

    std::optional<bench::run_result> result;
    {
        watchdog guard(
            std::chrono::seconds(w.warmup_s + w.duration_s + bench::run_overhead_max_s));
        result = bench::run_workload(w, {o.mock, o.bootstrap}, o.broker_pid);
    }
    if (!*result) {
        fmt::print(stderr, "atoll-bench: {}\n", result->message());
        return exit_failed;
    }
    const auto& report = **result;
    fmt::print("{}", bench::format_summary(report));
    if (!o.json_path.empty()) {
        std::ofstream out(o.json_path);
        out << bench::format_json(report);
        if (!out) {
            fmt::print(stderr, "atoll-bench: cannot write {}\n", o.json_path);
            return exit_failed;
        }
    }
    return exit_ok;
}
