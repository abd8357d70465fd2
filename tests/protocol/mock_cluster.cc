// librdkafka's in-memory mock cluster as a process: a Kafka implementation
// independent of ours, for capturing real clients' traffic.
//
//   mock_cluster TOPIC PARTITIONS
// prints the bootstrap servers on one line, serves until stdin closes.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: mock_cluster TOPIC PARTITIONS\n");
        return 2;
    }
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        std::fprintf(stderr, "mock_cluster: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, 1);
    if (!cluster) {
        std::fprintf(stderr, "mock_cluster: cannot create the cluster\n");
        return 1;
    }
    if (rd_kafka_mock_topic_create(cluster, argv[1], std::atoi(argv[2]), 1)
        != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "mock_cluster: cannot create topic %s\n", argv[1]);
        return 1;
    }
    std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
    return 0;
}
