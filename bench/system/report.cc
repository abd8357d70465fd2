#include "bench/system/report.h"

#include <fmt/format.h>

#include <cmath>

namespace bench {
namespace {

double per_s(uint64_t n, double duration_s) {
    return duration_s > 0 ? static_cast<double>(n) / duration_s : 0;
}

std::string json_number(double v) {
    if (!std::isfinite(v)) {
        return "null";
    }
    return fmt::format("{:.6g}", v);
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string json_latency_ms(const histogram& h) {
    if (h.empty()) {
        return R"({"p50": null, "p99": null, "p999": null, "max": null})";
    }
    return fmt::format(R"({{"p50": {}, "p99": {}, "p999": {}, "max": {}}})",
                       json_number(h.percentile(50) / 1e3),
                       json_number(h.percentile(99) / 1e3),
                       json_number(h.percentile(99.9) / 1e3),
                       json_number(static_cast<double>(h.max()) / 1e3));
}

std::string summary_latency_ms(const histogram& h) {
    if (h.empty()) {
        return "no samples";
    }
    return fmt::format("p50 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f} ms ({} samples)",
                       h.percentile(50) / 1e3, h.percentile(99) / 1e3,
                       h.percentile(99.9) / 1e3, static_cast<double>(h.max()) / 1e3,
                       h.count());
}

} // namespace

double publish_msgs_per_s(const run_report& r) {
    return per_s(r.published_msgs, r.duration_s);
}
double publish_mb_per_s(const run_report& r) {
    return per_s(r.published_bytes, r.duration_s) / 1e6;
}
double consume_msgs_per_s(const run_report& r) {
    return per_s(r.consumed_msgs, r.duration_s);
}
double consume_mb_per_s(const run_report& r) {
    return per_s(r.consumed_bytes, r.duration_s) / 1e6;
}

std::optional<double> cpu_s_per_gb(const run_report& r) {
    if (!r.broker || r.published_bytes == 0) {
        return std::nullopt;
    }
    return r.broker->cpu_s / (static_cast<double>(r.published_bytes) / 1e9);
}

std::string format_summary(const run_report& r) {
    std::string out = fmt::format("workload {} against {}, {:.1f} s measured\n",
                                  r.workload, r.target, r.duration_s);
    out += fmt::format("  publish   {:>12.0f} msg/s  {:>9.2f} MB/s\n",
                       publish_msgs_per_s(r), publish_mb_per_s(r));
    out += fmt::format("  consume   {:>12.0f} msg/s  {:>9.2f} MB/s\n",
                       consume_msgs_per_s(r), consume_mb_per_s(r));
    out +=
        fmt::format("  publish latency  {}\n", summary_latency_ms(r.publish_latency_us));
    out += fmt::format("  e2e latency      {}\n", summary_latency_ms(r.e2e_latency_us));
    out += fmt::format("  errors    {}\n", r.errors);
    if (r.broker) {
        out += fmt::format(
            "  broker    {:.2f} cpu-s, peak rss {:.1f} MiB, {:.3f} cpu-s/GB\n",
            r.broker->cpu_s, static_cast<double>(r.broker->peak_rss_bytes) / (1 << 20),
            cpu_s_per_gb(r).value_or(NAN));
    }
    return out;
}

std::string format_json(const run_report& r) {
    const auto per_gb = cpu_s_per_gb(r);
    return fmt::format(
        "{{\"workload\": {}, \"target\": {}, \"duration_s\": {}, "
        "\"publish_msgs_per_s\": {}, \"publish_mb_per_s\": {}, "
        "\"consume_msgs_per_s\": {}, \"consume_mb_per_s\": {}, "
        "\"publish_latency_ms\": {}, \"e2e_latency_ms\": {}, \"errors\": {}, "
        "\"broker_cpu_s\": {}, \"broker_peak_rss_bytes\": {}, \"cpu_s_per_gb\": {}}}\n",
        json_string(r.workload), json_string(r.target), json_number(r.duration_s),
        json_number(publish_msgs_per_s(r)), json_number(publish_mb_per_s(r)),
        json_number(consume_msgs_per_s(r)), json_number(consume_mb_per_s(r)),
        json_latency_ms(r.publish_latency_us), json_latency_ms(r.e2e_latency_us),
        r.errors, r.broker ? json_number(r.broker->cpu_s) : "null",
        r.broker ? fmt::format("{}", r.broker->peak_rss_bytes) : "null",
        per_gb ? json_number(*per_gb) : "null");
}

} // namespace bench
