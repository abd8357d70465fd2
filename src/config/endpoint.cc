#include "config/endpoint.h"

#include <charconv>

namespace config {

result<endpoint> parse_listener(std::string_view text) {
    auto fail = [&](std::string_view why) {
        return base::make_error(errc::invalid_value,
                                std::string(why) + " in listener '" + std::string(text)
                                    + "'");
    };
    std::string_view rest = text;
    if (auto scheme_end = rest.find("://"); scheme_end != rest.npos) {
        auto scheme = rest.substr(0, scheme_end);
        if (scheme != "PLAINTEXT") {
            return fail("unsupported security protocol '" + std::string(scheme) + "'");
        }
        rest.remove_prefix(scheme_end + 3);
    }
    auto colon = rest.rfind(':');
    if (colon == rest.npos || colon == 0) {
        return fail("expected host:port");
    }
    std::string_view host = rest.substr(0, colon);
    std::string_view port_text = rest.substr(colon + 1);
    if (host.front() == '[') {
        if (host.back() != ']' || host.size() < 3) {
            return fail("unbalanced brackets around an IPv6 host");
        }
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != host.npos) {
        return fail("an IPv6 host must be in brackets");
    }
    unsigned port = 0;
    auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535
        || port_text.empty()) {
        return fail("port must be a number from 0 to 65535");
    }
    return endpoint{std::string(host), static_cast<uint16_t>(port)};
}

result<std::vector<voter>> parse_voters(std::string_view text) {
    std::vector<voter> out;
    auto fail = [&](std::string why) {
        return base::make_error(errc::invalid_value,
                                why + " in voters '" + std::string(text) + "'");
    };
    if (text.empty()) {
        return out;
    }
    size_t from = 0;
    while (true) {
        auto comma = text.find(',', from);
        auto item =
            text.substr(from, comma == std::string_view::npos ? comma : comma - from);
        auto at = item.find('@');
        if (at == std::string_view::npos || at == 0) {
            return fail("expected id@host:port");
        }
        int32_t id = -1;
        auto id_text = item.substr(0, at);
        auto [end, ec] =
            std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
        if (ec != std::errc{} || end != id_text.data() + id_text.size() || id < 0) {
            return fail("a voter's id must be a non-negative number");
        }
        auto address = parse_listener(item.substr(at + 1));
        if (!address) {
            return fail(address.message());
        }
        for (const auto& v : out) {
            if (v.id == id) {
                return fail("node " + std::to_string(id) + " is listed twice");
            }
        }
        out.push_back(voter{id, *address});
        if (comma == std::string_view::npos) {
            return out;
        }
        from = comma + 1;
    }
}

} // namespace config
