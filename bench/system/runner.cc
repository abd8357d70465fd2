#include "bench/system/runner.h"

#include "bench/system/broker_probe.h"
#include "bench/system/consumer.h"
#include "bench/system/producer.h"
#include "bench/system/run_state.h"
#include "bench/system/topic_setup.h"

#include <fmt/format.h>

#include <deque>
#include <memory>
#include <thread>
#include <vector>

namespace bench {
namespace {

constexpr int64_t consumers_ready_timeout_ns = 30'000'000'000;
constexpr int64_t drain_timeout_ns = 10'000'000'000;
constexpr auto wait_step = std::chrono::milliseconds(20);

void sleep_until_ns(int64_t t_ns) {
    const auto now = now_ns();
    if (t_ns > now) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(t_ns - now));
    }
}

// Polls `done` until it holds or timeout_ns passes; returns whether it held.
template<typename Pred>
bool wait_for(Pred done, int64_t timeout_ns) {
    const auto deadline = now_ns() + timeout_ns;
    while (!done()) {
        if (now_ns() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(wait_step);
    }
    return true;
}

struct run_threads {
    std::deque<consumer_stats> consumers;
    std::deque<producer_stats> producers;
    std::vector<std::thread> consumer_threads;
    std::vector<std::thread> producer_threads;
};

run_report collect(const run_state& s, const run_threads& t) {
    run_report r;
    r.workload = s.w.name;
    r.duration_s = static_cast<double>(s.window_end_ns - s.window_start_ns) / 1e9;
    for (const auto& p : t.producers) {
        r.published_msgs += p.window_msgs;
        r.published_bytes += p.window_bytes;
        r.publish_latency_us.merge(p.publish_latency_us);
        r.errors += p.errors;
    }
    for (const auto& c : t.consumers) {
        r.consumed_msgs += c.window_msgs;
        r.consumed_bytes += c.window_bytes;
        r.e2e_latency_us.merge(c.e2e_latency_us);
        r.errors += c.errors;
    }
    return r;
}

std::string setup_errors(const run_threads& t) {
    std::string out;
    for (const auto& p : t.producers) {
        if (!p.setup_error.empty()) {
            out += fmt::format("producer: {}; ", p.setup_error);
        }
    }
    for (const auto& c : t.consumers) {
        if (!c.setup_error.empty()) {
            out += fmt::format("consumer: {}; ", c.setup_error);
        }
    }
    return out;
}

// Producers from window start to end, the broker probe around the measured
// part, then a bounded drain so late messages still count for latency.
void produce_and_drain(run_state& s, run_threads& t, broker_probe* probe) {
    const auto start = now_ns();
    s.window_start_ns = start + int64_t{s.w.warmup_s} * 1'000'000'000;
    s.window_end_ns = s.window_start_ns + int64_t{s.w.duration_s} * 1'000'000'000;
    for (int i = 0; i < s.w.producers; ++i) {
        auto& stats = t.producers.emplace_back();
        t.producer_threads.emplace_back([i, &s, &stats] { run_producer(i, s, stats); });
    }
    if (probe != nullptr) {
        sleep_until_ns(s.window_start_ns);
        probe->window_start();
        sleep_until_ns(s.window_end_ns);
        probe->window_end();
    }
    for (auto& th : t.producer_threads) {
        th.join();
    }
    uint64_t sent_acked = 0;
    for (const auto& p : t.producers) {
        sent_acked += p.window_sent_acked;
    }
    if (s.w.consumers > 0
        && !wait_for([&] { return s.window_sent_received.load() >= sent_acked; },
                     drain_timeout_ns)) {
        fmt::print(stderr, "atoll-bench: consumers received {} of {} measured messages\n",
                   s.window_sent_received.load(), sent_acked);
    }
}

} // namespace

run_result run_workload(const workload& w, const run_target& target,
                        std::optional<pid_t> broker_pid) {
    std::unique_ptr<mock_cluster> mock;
    std::string bootstrap = target.bootstrap;
    if (target.mock) {
        auto m = mock_cluster::start(w);
        if (!m) {
            return base::make_error(run_errc::setup, m.message());
        }
        mock = std::move(*m);
        bootstrap = mock->bootstrap();
    } else if (auto r = ensure_topic(bootstrap, w); !r) {
        return base::make_error(run_errc::setup, r.message());
    }
    std::unique_ptr<broker_probe> probe;
    if (broker_pid) {
        probe = std::make_unique<broker_probe>(*broker_pid);
        if (!probe->readable()) {
            return base::make_error(run_errc::setup,
                                    fmt::format("cannot read /proc/{}", *broker_pid));
        }
    }

    run_state s(w, bootstrap);
    run_threads t;
    for (int i = 0; i < w.consumers; ++i) {
        auto& stats = t.consumers.emplace_back();
        t.consumer_threads.emplace_back([i, &s, &stats] { run_consumer(i, s, stats); });
    }
    if (w.consumers > 0
        && !wait_for([&] { return s.partitions_assigned.load() >= w.partitions; },
                     consumers_ready_timeout_ns)) {
        fmt::print(stderr,
                   "atoll-bench: consumers hold {} of {} partitions; starting anyway\n",
                   s.partitions_assigned.load(), w.partitions);
    }
    produce_and_drain(s, t, probe.get());
    s.stop_consumers = true;
    for (auto& th : t.consumer_threads) {
        th.join();
    }

    if (auto errors = setup_errors(t); !errors.empty()) {
        return base::make_error(run_errc::client, errors);
    }
    auto report = collect(s, t);
    report.target = target.mock ? "mock" : target.bootstrap;
    if (probe) {
        report.broker = broker_figures{probe->cpu_s(), probe->peak_rss_bytes()};
    }
    return report;
}

} // namespace bench
