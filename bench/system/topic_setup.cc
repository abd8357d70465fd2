#include "bench/system/topic_setup.h"

#include "bench/system/kafka_client.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <optional>
#include <thread>

namespace bench {
namespace {

constexpr int admin_timeout_ms = 15000;
constexpr int metadata_timeout_ms = 5000;
constexpr auto topic_visible_timeout = std::chrono::seconds(15);

// The topic's partition count from a full metadata request; nullopt while
// the broker does not list it (or the request failed).
std::optional<int> partition_count(rd_kafka_t* rk, const std::string& topic) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 1, nullptr, &md, metadata_timeout_ms)
        != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::nullopt;
    }
    std::optional<int> count;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (topic == t.topic && t.err == RD_KAFKA_RESP_ERR_NO_ERROR
            && t.partition_cnt > 0) {
            count = t.partition_cnt;
        }
    }
    rd_kafka_metadata_destroy(md);
    return count;
}

// CreateTopics; TOPIC_ALREADY_EXISTS counts as success here.
setup_result create_topic(rd_kafka_t* rk, const workload& w) {
    char errstr[512];
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(w.topic.c_str(), w.partitions, 1, errstr, sizeof(errstr));
    if (nt == nullptr) {
        return base::make_error(setup_errc::topic, errstr);
    }
    rd_kafka_AdminOptions_t* opts =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opts, admin_timeout_ms, errstr,
                                              sizeof(errstr));
    rd_kafka_AdminOptions_set_operation_timeout(opts, admin_timeout_ms, errstr,
                                                sizeof(errstr));
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, opts, queue);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, admin_timeout_ms + 5000);
    setup_result result = base::ok;
    if (ev == nullptr) {
        result = base::make_error(setup_errc::timeout, "CreateTopics: no answer");
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = base::make_error(
            setup_errc::topic,
            fmt::format("CreateTopics: {}", rd_kafka_event_error_string(ev)));
    } else {
        size_t n = 0;
        const auto* topics = rd_kafka_CreateTopics_result_topics(
            rd_kafka_event_CreateTopics_result(ev), &n);
        const auto err =
            n == 1 ? rd_kafka_topic_result_error(topics[0]) : RD_KAFKA_RESP_ERR__BAD_MSG;
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR
            && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            result = base::make_error(
                setup_errc::topic,
                fmt::format("CreateTopics {}: {}", w.topic, rd_kafka_err2str(err)));
        }
    }
    if (ev != nullptr) {
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(queue);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_NewTopic_destroy(nt);
    return result;
}

} // namespace

setup_result ensure_topic(const std::string& bootstrap, const workload& w) {
    std::string error;
    auto* conf = make_conf({{"bootstrap.servers", bootstrap}}, error);
    if (conf == nullptr) {
        return base::make_error(setup_errc::client, error);
    }
    auto rk = make_client(RD_KAFKA_PRODUCER, conf, error);
    if (!rk) {
        return base::make_error(setup_errc::client, error);
    }
    if (auto r = create_topic(rk.get(), w); !r) {
        return r;
    }
    const auto deadline = std::chrono::steady_clock::now() + topic_visible_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (const auto count = partition_count(rk.get(), w.topic)) {
            if (*count != w.partitions) {
                return base::make_error(
                    setup_errc::topic,
                    fmt::format(
                        "topic {} exists with {} partitions, the workload wants {}",
                        w.topic, *count, w.partitions));
            }
            return base::ok;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return base::make_error(setup_errc::timeout,
                            fmt::format("topic {} did not appear in metadata", w.topic));
}

struct mock_cluster::impl {
    kafka_handle owner;
    rd_kafka_mock_cluster_t* cluster{nullptr};
    ~impl() {
        if (cluster != nullptr) {
            rd_kafka_mock_cluster_destroy(cluster);
        }
    }
};

base::result<std::unique_ptr<mock_cluster>, setup_errc> mock_cluster::start(
    const workload& w) {
    auto i = std::make_unique<impl>();
    std::string error;
    // The owner never connects anywhere; keep its "no bootstrap" notice quiet.
    auto* conf = make_conf({{"log_level", "3"}}, error);
    if (conf == nullptr) {
        return base::make_error(setup_errc::client, error);
    }
    i->owner = make_client(RD_KAFKA_PRODUCER, conf, error);
    if (!i->owner) {
        return base::make_error(setup_errc::client, error);
    }
    i->cluster = rd_kafka_mock_cluster_new(i->owner.get(), 1);
    if (i->cluster == nullptr) {
        return base::make_error(setup_errc::client, "rd_kafka_mock_cluster_new failed");
    }
    const auto err =
        rd_kafka_mock_topic_create(i->cluster, w.topic.c_str(), w.partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return base::make_error(
            setup_errc::topic,
            fmt::format("mock topic {}: {}", w.topic, rd_kafka_err2str(err)));
    }
    return std::unique_ptr<mock_cluster>(new mock_cluster(std::move(i)));
}

mock_cluster::mock_cluster(std::unique_ptr<impl> i)
  : _impl(std::move(i))
  , _bootstrap(rd_kafka_mock_cluster_bootstraps(_impl->cluster)) {}

mock_cluster::~mock_cluster() = default;

} // namespace bench
