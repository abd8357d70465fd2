#include "bench/system/producer.h"

#include "bench/system/kafka_client.h"
#include "bench/system/token_bucket.h"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>

namespace bench {
namespace {

constexpr int poll_timeout_ms = 50;
constexpr int64_t drain_timeout_ns = 30'000'000'000;
constexpr int64_t purge_timeout_ns = 5'000'000'000;
constexpr int64_t pace_sleep_max_ns = 5'000'000;
constexpr double burst_s = 0.002;
constexpr int queue_max_kbytes = 65536;
constexpr uint64_t key_space = 10000;

// Delivery reports run on this producer's poller thread only.
struct producer_context {
    const run_state* state;
    producer_stats* stats;
};

int64_t sent_ns_of(const void* payload, size_t len) {
    int64_t t = 0;
    if (len >= sizeof(t)) {
        std::memcpy(&t, payload, sizeof(t));
    }
    return t;
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* ctx = static_cast<producer_context*>(opaque);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++ctx->stats->errors;
        return;
    }
    const auto now = now_ns();
    const auto sent = sent_ns_of(m->payload, m->len);
    if (ctx->state->in_window(sent)) {
        ++ctx->stats->window_sent_acked;
        ctx->stats->publish_latency_us.record(static_cast<uint64_t>((now - sent) / 1000));
    }
    if (ctx->state->in_window(now)) {
        ++ctx->stats->window_msgs;
        ctx->stats->window_bytes += m->len;
    }
}

client_properties producer_properties(const run_state& s, int index) {
    client_properties p{
        {"bootstrap.servers", s.bootstrap},
        {"acks", s.w.acks == "all" ? "-1" : s.w.acks},
        {"linger.ms", std::to_string(s.w.linger_ms)},
        {"batch.size", std::to_string(s.w.batch_size_bytes)},
        {"compression.type", s.w.compression},
        {"queue.buffering.max.kbytes", std::to_string(queue_max_kbytes)},
        {"message.max.bytes",
         std::to_string(std::max(1000000, s.w.message_size_bytes + 1024))},
        {"enable.idempotence", s.w.idempotence ? "true" : "false"},
    };
    if (s.w.transaction_records > 0) {
        p.emplace_back("transactional.id",
                       fmt::format("atoll-bench-{}-{}", s.w.topic, index));
    }
    return p;
}

// Waits until librdkafka holds no message or event, or the deadline passes.
bool wait_out_queue(rd_kafka_t* rk, int64_t timeout_ns) {
    const auto deadline = now_ns() + timeout_ns;
    while (rd_kafka_outq_len(rk) > 0) {
        if (now_ns() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// One record; waits while librdkafka's queue is full. False when refused.
bool send_one(rd_kafka_t* rk, const run_state& s, std::vector<char>& value, uint64_t n,
              int64_t end) {
    const auto key = s.w.keyed ? fmt::format("key-{}", n % key_space) : std::string();
    rd_kafka_resp_err_t err;
    do {
        const auto now = now_ns();
        std::memcpy(value.data(), &now, sizeof(now));
        err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(s.w.topic.c_str()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE(value.data(), value.size()),
            RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && now_ns() < end);
    return err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__QUEUE_FULL;
}

std::vector<char> random_value(const run_state& s, int index) {
    std::vector<char> value(static_cast<size_t>(s.w.message_size_bytes));
    std::mt19937_64 rng(static_cast<uint64_t>(index) + 1);
    for (auto& c : value) {
        c = static_cast<char>(rng());
    }
    return value;
}

// A transactional producer's loop: transactions of transaction_records
// records, each committed before the next begins (unthrottled). Returns
// the records refused or in transactions that failed.
uint64_t send_transactions(rd_kafka_t* rk, const run_state& s, int index) {
    constexpr int txn_timeout_ms = 30000;
    auto value = random_value(s, index);
    if (auto* e = rd_kafka_init_transactions(rk, txn_timeout_ms)) {
        rd_kafka_error_destroy(e);
        return 1;
    }
    const auto end = s.window_end_ns.load();
    uint64_t failed = 0;
    for (uint64_t n = 0; now_ns() < end;) {
        if (auto* e = rd_kafka_begin_transaction(rk)) {
            rd_kafka_error_destroy(e);
            return failed + 1;
        }
        for (int i = 0; i < s.w.transaction_records; ++i, ++n) {
            failed += send_one(rk, s, value, n, end) ? 0 : 1;
        }
        if (auto* e = rd_kafka_commit_transaction(rk, txn_timeout_ms)) {
            failed += static_cast<uint64_t>(s.w.transaction_records);
            rd_kafka_error_destroy(e);
            return failed;
        }
    }
    return failed;
}

// The send loop: returns the produce calls librdkafka refused.
uint64_t send_until_window_end(rd_kafka_t* rk, const run_state& s, int index) {
    auto value = random_value(s, index);
    const double size = static_cast<double>(value.size());
    const double rate = s.w.rate_mbps * 1e6 / s.w.producers;
    token_bucket bucket(rate, std::max(size, rate * burst_s), now_ns());
    const auto end = s.window_end_ns.load();
    uint64_t refused = 0;
    for (uint64_t n = 0;; ++n) {
        auto now = now_ns();
        if (now >= end) {
            return refused;
        }
        if (rate > 0) {
            if (const auto wait = bucket.take(size, now); wait > 0) {
                std::this_thread::sleep_for(
                    std::chrono::nanoseconds(std::min(wait, pace_sleep_max_ns)));
                continue;
            }
        }
        if (!send_one(rk, s, value, n, end)) {
            ++refused;
        }
    }
}

} // namespace

void run_producer(int index, const run_state& state, producer_stats& out) {
    producer_context ctx{&state, &out};
    std::string error;
    auto* conf = make_conf(producer_properties(state, index), error);
    if (conf == nullptr) {
        out.setup_error = error;
        return;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &ctx);
    auto rk = make_client(RD_KAFKA_PRODUCER, conf, error);
    if (!rk) {
        out.setup_error = error;
        return;
    }
    // Delivery reports are served by their own thread, so the send loop's
    // pacing never delays them and publish latency stays honest.
    std::atomic<bool> stop_polling{false};
    std::thread poller([&] {
        while (!stop_polling.load()) {
            rd_kafka_poll(rk.get(), poll_timeout_ms);
        }
    });
    const auto refused = state.w.transaction_records > 0
        ? send_transactions(rk.get(), state, index)
        : send_until_window_end(rk.get(), state, index);
    if (!wait_out_queue(rk.get(), drain_timeout_ns)) {
        rd_kafka_purge(rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        wait_out_queue(rk.get(), purge_timeout_ns);
    }
    stop_polling = true;
    poller.join();
    out.errors += refused;
}

} // namespace bench
