#pragma once

#include "base/result.h"

#include <string>

namespace node {

enum class errc { io_error, in_use };

// A node's data directory, held for the node's lifetime: created when
// missing, locked (flock) so that two nodes never share one, and holding
// the cluster id, made once on first start and kept across restarts.
// Blocking file I/O: used only at start, before any shard runs.
class data_dir {
public:
    static base::result<data_dir, errc> open(const std::string& path);

    data_dir(data_dir&& other) noexcept;
    data_dir& operator=(data_dir&&) = delete;
    data_dir(const data_dir&) = delete;
    ~data_dir();

    const std::string& path() const { return _path; }
    const std::string& cluster_id() const { return _cluster_id; }

private:
    data_dir(std::string path, int lock_fd, std::string cluster_id)
      : _path(std::move(path))
      , _lock_fd(lock_fd)
      , _cluster_id(std::move(cluster_id)) {}

    std::string _path;
    int _lock_fd{-1};
    std::string _cluster_id;
};

// A new cluster id: 16 random bytes in URL-safe base64 without padding
// (22 characters), the form Kafka uses.
std::string make_cluster_id();

} // namespace node
