#pragma once

#include "base/result.h"
#include "bench/system/workload.h"

#include <memory>
#include <string>

namespace bench {

enum class setup_errc { client, topic, timeout };
using setup_result = base::result<void, setup_errc>;

// Creates the workload's topic through the Admin API (replication factor 1)
// and waits until metadata shows it. An existing topic is fine when its
// partition count matches.
setup_result ensure_topic(const std::string& bootstrap, const workload& w);

// librdkafka's in-memory mock cluster (one broker) holding the workload's
// topic; lives as long as the object.
class mock_cluster {
public:
    static base::result<std::unique_ptr<mock_cluster>, setup_errc> start(
        const workload& w);
    ~mock_cluster();
    mock_cluster(const mock_cluster&) = delete;
    mock_cluster& operator=(const mock_cluster&) = delete;

    const std::string& bootstrap() const { return _bootstrap; }

private:
    struct impl;
    explicit mock_cluster(std::unique_ptr<impl> i);

    std::unique_ptr<impl> _impl;
    std::string _bootstrap;
};

} // namespace bench
