#include "bench/system/consumer.h"

#include "bench/system/kafka_client.h"

#include <algorithm>
#include <cstring>

namespace bench {
namespace {

constexpr int poll_timeout_ms = 100;
constexpr int watermark_timeout_ms = 5000;

struct consumer_context {
    run_state* state;
};

// Eager rebalancing: take what the group gives, and keep the count of
// assigned partitions that tells the runner the consumers are ready.
void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* ctx = static_cast<consumer_context*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, partitions);
        ctx->state->partitions_assigned += partitions->cnt;
    } else {
        rd_kafka_assign(rk, nullptr);
        ctx->state->partitions_assigned -= partitions->cnt;
    }
}

client_properties consumer_properties(const run_state& s) {
    client_properties props{
        {"bootstrap.servers", s.bootstrap},
        {"auto.offset.reset", "latest"},
        {"enable.partition.eof", "false"},
    };
    if (s.w.consumer_group.empty()) {
        // rd_kafka_consumer_poll needs a group even for assigned partitions;
        // this one is never joined and nothing is committed to it.
        props.emplace_back("group.id", "atoll-bench-assigned");
        props.emplace_back("enable.auto.commit", "false");
    } else {
        props.emplace_back("group.id", s.w.consumer_group);
    }
    return props;
}

// Assigns this consumer's share of the partitions from their current end,
// read up front so messages produced after the window opens are never
// skipped.
void assign_share(rd_kafka_t* rk, int index, run_state& s) {
    auto* list = rd_kafka_topic_partition_list_new(s.w.partitions);
    for (int32_t p = index; p < s.w.partitions; p += s.w.consumers) {
        int64_t low = 0;
        int64_t high = RD_KAFKA_OFFSET_END;
        if (rd_kafka_query_watermark_offsets(rk, s.w.topic.c_str(), p, &low, &high,
                                             watermark_timeout_ms)
            != RD_KAFKA_RESP_ERR_NO_ERROR) {
            high = RD_KAFKA_OFFSET_END;
        }
        rd_kafka_topic_partition_list_add(list, s.w.topic.c_str(), p)->offset = high;
    }
    rd_kafka_assign(rk, list);
    s.partitions_assigned += list->cnt;
    rd_kafka_topic_partition_list_destroy(list);
}

void count_message(const rd_kafka_message_t* m, run_state& s, consumer_stats& out) {
    const auto now = now_ns();
    if (s.in_window(now)) {
        ++out.window_msgs;
        out.window_bytes += m->len;
    }
    int64_t sent = 0;
    if (m->len < sizeof(sent)) {
        return;
    }
    std::memcpy(&sent, m->payload, sizeof(sent));
    if (s.in_window(sent)) {
        out.e2e_latency_us.record(
            static_cast<uint64_t>(std::max<int64_t>(0, now - sent) / 1000));
        s.window_sent_received.fetch_add(1, std::memory_order_relaxed);
    }
}

} // namespace

void run_consumer(int index, run_state& state, consumer_stats& out) {
    consumer_context ctx{&state};
    std::string error;
    auto* conf = make_conf(consumer_properties(state), error);
    if (conf == nullptr) {
        out.setup_error = error;
        return;
    }
    const bool grouped = !state.w.consumer_group.empty();
    if (grouped) {
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
        rd_kafka_conf_set_opaque(conf, &ctx);
    }
    auto rk = make_client(RD_KAFKA_CONSUMER, conf, error);
    if (!rk) {
        out.setup_error = error;
        return;
    }
    rd_kafka_poll_set_consumer(rk.get());
    if (grouped) {
        auto* topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, state.w.topic.c_str(),
                                          RD_KAFKA_PARTITION_UA);
        const auto err = rd_kafka_subscribe(rk.get(), topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            out.setup_error = rd_kafka_err2str(err);
            return;
        }
    } else {
        assign_share(rk.get(), index, state);
    }
    while (!state.stop_consumers.load()) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), poll_timeout_ms);
        if (m == nullptr) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            count_message(m, state, out);
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            ++out.errors;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk.get());
}

} // namespace bench
