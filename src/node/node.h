#pragma once

#include "config/property_set.h"

namespace node {

// Runs an atolld node to the end: opens its data directory, starts the
// shards and the Kafka listener on each, waits for SIGINT or SIGTERM and
// stops everything in order. Returns the process exit code.
int run(const config::property_set& cfg);

} // namespace node
