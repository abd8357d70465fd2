// A line-oriented bridge to the generated codecs, for tests that check them
// against other implementations (tests/protocol/).
//
//   list                      -> "name min max" per message, then "END"
//   frame HEX                 -> a whole request (header and body, without
//                                the size prefix), decoded by its api key
//                                and version and encoded again:
//                                "OK <hex>" or "ERROR <reason>"
//   random NAME VERSION SEED  -> "OK <hex>" of a message with random values
//   response KEY VERSION HEX  -> a whole response (header and body) to a
//                                request of api KEY at VERSION, decoded
//                                and encoded again
//   NAME VERSION HEX          -> "OK <hex of decode-then-encode>"
//                                or "ERROR <reason>"
//
// Reads commands from stdin until EOF, one answer line per command.

#include "base/iobuf.h"
#include "kafka/protocol/header_versions.h"
#include "kafka/protocol/messages/all_messages.h"
#include "kafka/protocol/messages/api_catalog.h"
#include "kafka/protocol/messages/test_support.h"

#include <fmt/format.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace kafka::protocol;

std::optional<std::vector<uint8_t>> from_hex(const std::string& hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::vector<uint8_t> out;
    out.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = nibble(hex[i]);
        int lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
    return out;
}

std::string to_hex(const std::vector<uint8_t>& bytes) {
    std::string out;
    for (auto b : bytes) {
        out += fmt::format("{:02x}", b);
    }
    return out;
}

template<typename M>
std::string recode(const std::vector<uint8_t>& in, int16_t version) {
    reader r(in);
    M m;
    m.decode(r, version);
    if (r.failed()) {
        return "ERROR " + r.error();
    }
    if (r.remaining() != 0) {
        return fmt::format("ERROR {} bytes left over", r.remaining());
    }
    base::iobuf out;
    writer w(out);
    m.encode(w, version);
    return "OK " + to_hex(out.to_vector());
}

// Decodes a header and a body from `in`, which must hold nothing else, and
// encodes both again.
template<typename Header, typename Body>
std::string recode_with_header(const std::vector<uint8_t>& in, int16_t header_version,
                               int16_t version) {
    reader r(in);
    Header header;
    header.decode(r, header_version);
    Body body;
    body.decode(r, version);
    if (r.failed()) {
        return "ERROR " + r.error();
    }
    if (r.remaining() != 0) {
        return fmt::format("ERROR {} bytes left over", r.remaining());
    }
    base::iobuf out;
    writer w(out);
    header.encode(w, header_version);
    body.encode(w, version);
    return "OK " + to_hex(out.to_vector());
}

template<typename Request>
std::string recode_frame(const std::vector<uint8_t>& in, const api_definition& api,
                         int16_t version) {
    return recode_with_header<request_header, Request>(
        in, request_header_version(api.first_flexible_version, version), version);
}

template<typename Response>
std::string recode_response(const std::vector<uint8_t>& in, const api_definition& api,
                            int16_t version) {
    return recode_with_header<response_header, Response>(
        in, response_header_version(api.key, api.first_flexible_version, version),
        version);
}

std::string recode_response(const std::string& args) {
    std::istringstream in(args);
    int key = 0;
    int version = 0;
    std::string hex;
    if (!(in >> key >> version >> hex)) {
        return "ERROR expected: response KEY VERSION HEX";
    }
    auto bytes = from_hex(hex);
    if (!bytes) {
        return "ERROR bad hex";
    }
    for (const auto& api : api_definitions) {
        if (api.key != key) {
            continue;
        }
        if (version < api.min_version || version > api.max_version) {
            return fmt::format("ERROR {} v{} is not defined", api.name, version);
        }
#define ATOLL_RESPONSE(k, request, response)                                             \
    if (key == k) {                                                                      \
        return recode_response<response>(*bytes, api, static_cast<int16_t>(version));    \
    }
        ATOLL_KAFKA_APIS(ATOLL_RESPONSE)
#undef ATOLL_RESPONSE
    }
    return fmt::format("ERROR unknown api key {}", key);
}

std::string recode_frame(const std::vector<uint8_t>& in) {
    reader fixed(in);
    int16_t key = fixed.read_int16();
    int16_t version = fixed.read_int16();
    if (fixed.failed()) {
        return "ERROR no header";
    }
    for (const auto& api : api_definitions) {
        if (api.key != key) {
            continue;
        }
        if (version < api.min_version || version > api.max_version) {
            return fmt::format("ERROR {} v{} is not defined", api.name, version);
        }
#define ATOLL_FRAME(k, request, response)                                                \
    if (key == k) {                                                                      \
        return recode_frame<request>(in, api, version);                                  \
    }
        ATOLL_KAFKA_APIS(ATOLL_FRAME)
#undef ATOLL_FRAME
    }
    return fmt::format("ERROR unknown api key {}", key);
}

template<typename M>
std::string random_of(int16_t version, uint64_t seed) {
    testing::random_source rnd(seed);
    M m;
    testing::randomize(m, rnd, version);
    base::iobuf out;
    writer w(out);
    m.encode(w, version);
    return "OK " + to_hex(out.to_vector());
}

std::string random_message(const std::string& args) {
    std::istringstream in(args);
    std::string name;
    int version = 0;
    uint64_t seed = 0;
    if (!(in >> name >> version >> seed)) {
        return "ERROR expected: random NAME VERSION SEED";
    }
#define ATOLL_RANDOM(type, lo, hi)                                                       \
    if (name == #type && version >= lo && version <= hi) {                               \
        return random_of<type>(static_cast<int16_t>(version), seed);                     \
    }
    ATOLL_KAFKA_MESSAGES(ATOLL_RANDOM)
#undef ATOLL_RANDOM
    return "ERROR unknown message or version";
}

std::string answer(const std::string& line) {
    std::istringstream in(line);
    std::string name, hex;
    int version = 0;
    if (line == "list") {
        std::string out;
#define ATOLL_LIST(type, lo, hi) out += fmt::format("{} {} {}\n", #type, lo, hi);
        ATOLL_KAFKA_MESSAGES(ATOLL_LIST)
#undef ATOLL_LIST
        return out + "END";
    }
    if (line.starts_with("frame ")) {
        auto bytes = from_hex(line.substr(6));
        return bytes ? recode_frame(*bytes) : "ERROR bad hex";
    }
    if (line.starts_with("response ")) {
        return recode_response(line.substr(9));
    }
    if (line.starts_with("random ")) {
        return random_message(line.substr(7));
    }
    if (!(in >> name >> version)) {
        return "ERROR expected: NAME VERSION HEX";
    }
    in >> hex; // empty for an empty body
    auto bytes = from_hex(hex);
    if (!bytes) {
        return "ERROR bad hex";
    }
#define ATOLL_RECODE(type, lo, hi)                                                       \
    if (name == #type) {                                                                 \
        if (version < lo || version > hi) {                                              \
            return "ERROR version out of range";                                         \
        }                                                                                \
        return recode<type>(*bytes, static_cast<int16_t>(version));                      \
    }
    ATOLL_KAFKA_MESSAGES(ATOLL_RECODE)
#undef ATOLL_RECODE
    return "ERROR unknown message " + name;
}

} // namespace

int main() {
    std::string line;
    while (std::getline(std::cin, line)) {
        std::cout << answer(line) << '\n' << std::flush;
    }
    return 0;
}
