#pragma once

#include "config/endpoint.h"
#include "model/fundamental.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace kafka {

// What a node's Kafka listener needs to know, read from the node's config
// once at start.
struct server_config {
    model::node_id node_id{0};
    config::endpoint listen;
    config::endpoint advertised;
    std::string cluster_id;
    // The node's data directory, absolute: the one log directory
    // DescribeLogDirs reports.
    std::string data_dir;
    int32_t max_request_bytes{104857600};
    std::chrono::milliseconds shutdown_grace{10000};
    std::chrono::milliseconds max_idle{600000};
};

} // namespace kafka
