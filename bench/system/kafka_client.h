#pragma once

// librdkafka glue for the .cc files that talk to Kafka; keep it out of
// headers that others include.

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bench {

struct rd_kafka_deleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using kafka_handle = std::unique_ptr<rd_kafka_t, rd_kafka_deleter>;

using client_properties = std::vector<std::pair<std::string, std::string>>;

// A configuration with every property set, or nullptr with the reason in
// `error`. The caller owns the result until rd_kafka_new takes it.
inline rd_kafka_conf_t* make_conf(const client_properties& props, std::string& error) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    for (const auto& [name, value] : props) {
        if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr))
            != RD_KAFKA_CONF_OK) {
            error = name + "=" + value + ": " + errstr;
            rd_kafka_conf_destroy(conf);
            return nullptr;
        }
    }
    return conf;
}

// rd_kafka_new that takes `conf` in every case.
inline kafka_handle make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf,
                                std::string& error) {
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        error = errstr;
    }
    return kafka_handle(rk);
}

} // namespace bench
