#include "runtime/gate.h"

#include "base/vassert.h"

#include <boost/asio/redirect_error.hpp>

namespace runtime {

void gate::leave() {
    vassert(_count > 0, "gate left more often than entered");
    if (--_count == 0 && _closing) {
        _idle.cancel();
    }
}

awaitable<void> gate::close() {
    _closing = true;
    while (_count > 0) {
        _idle.expires_at(boost::asio::steady_timer::time_point::max());
        boost::system::error_code ec;
        co_await _idle.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
}

} // namespace runtime
