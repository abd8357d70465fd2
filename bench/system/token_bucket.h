#pragma once

#include <algorithm>
#include <cstdint>

namespace bench {

// Paces a producer to rate_bytes_per_s, allowing bursts of burst_bytes so a
// sleep's granularity (tens of microseconds) does not lower the rate.
class token_bucket {
public:
    token_bucket(double rate_bytes_per_s, double burst_bytes, int64_t now_ns)
      : _rate_bytes_per_ns(rate_bytes_per_s / 1e9)
      , _burst_bytes(burst_bytes)
      , _tokens(burst_bytes)
      , _last_ns(now_ns) {}

    // Takes `bytes` and returns 0, or returns how long to wait (ns) before
    // they are available; nothing is taken then.
    int64_t take(double bytes, int64_t now_ns) {
        _tokens = std::min(
            _burst_bytes,
            _tokens + static_cast<double>(now_ns - _last_ns) * _rate_bytes_per_ns);
        _last_ns = now_ns;
        if (_tokens >= bytes) {
            _tokens -= bytes;
            return 0;
        }
        return static_cast<int64_t>((bytes - _tokens) / _rate_bytes_per_ns) + 1;
    }

private:
    double _rate_bytes_per_ns;
    double _burst_bytes;
    double _tokens;
    int64_t _last_ns;
};

} // namespace bench
