#include "cluster/commands.h"

#include "model/big_endian.h"

#include <fmt/format.h>

namespace cluster {
namespace {

enum class command_type : uint8_t {
    create_topic = 1,
    delete_topic = 2,
    create_partitions = 3,
    set_topic_configs = 4,
    allocate_producer_ids = 5,
    register_node = 6,
    cluster_id = 7,
};

class encoder {
public:
    template<typename T>
    void fixed(T v) {
        uint8_t b[sizeof(T)];
        model::big_endian::write(b, v);
        _out.insert(_out.end(), b, b + sizeof(T));
    }
    void string(const std::string& s) {
        fixed<uint32_t>(static_cast<uint32_t>(s.size()));
        _out.insert(_out.end(), s.begin(), s.end());
    }
    void configs(const std::map<std::string, std::string>& c) {
        fixed<uint32_t>(static_cast<uint32_t>(c.size()));
        for (const auto& [k, v] : c) {
            string(k);
            string(v);
        }
    }
    void bytes(const topic_id& id) { _out.insert(_out.end(), id.begin(), id.end()); }
    void address(const node_address& a) {
        string(a.host);
        fixed(a.port);
    }
    void replicas(const std::vector<std::vector<model::node_id>>& r) {
        fixed<uint32_t>(static_cast<uint32_t>(r.size()));
        for (const auto& nodes : r) {
            fixed<uint32_t>(static_cast<uint32_t>(nodes.size()));
            for (auto n : nodes) {
                fixed<int32_t>(n());
            }
        }
    }
    base::iobuf done() { return base::iobuf::copy_of(_out); }

private:
    std::vector<uint8_t> _out;
};

// Reads fields back; any read past the end fails the decoder for good.
class decoder {
public:
    explicit decoder(std::vector<uint8_t> in)
      : _in(std::move(in)) {}

    template<typename T>
    T fixed() {
        if (!take(sizeof(T))) {
            return T{};
        }
        return model::big_endian::read<T>(_in.data() + _pos - sizeof(T));
    }
    std::string string() {
        auto n = fixed<uint32_t>();
        if (!take(n)) {
            return {};
        }
        return std::string(_in.begin() + static_cast<ptrdiff_t>(_pos - n),
                           _in.begin() + static_cast<ptrdiff_t>(_pos));
    }
    std::map<std::string, std::string> configs() {
        std::map<std::string, std::string> c;
        auto n = fixed<uint32_t>();
        for (uint32_t i = 0; i < n && !_failed; ++i) {
            auto k = string();
            c[k] = string();
        }
        return c;
    }
    topic_id id() {
        topic_id out{};
        if (take(out.size())) {
            std::copy(_in.begin() + static_cast<ptrdiff_t>(_pos - out.size()),
                      _in.begin() + static_cast<ptrdiff_t>(_pos), out.begin());
        }
        return out;
    }
    node_address address() {
        node_address a;
        a.host = string();
        a.port = fixed<uint16_t>();
        return a;
    }
    // Replicas are a later field: commands written before it end here.
    std::vector<std::vector<model::node_id>> replicas() {
        std::vector<std::vector<model::node_id>> r;
        if (_pos == _in.size()) {
            return r;
        }
        auto n = fixed<uint32_t>();
        for (uint32_t i = 0; i < n && !_failed; ++i) {
            auto count = fixed<uint32_t>();
            if (count > _in.size() - _pos) {
                _failed = true;
                break;
            }
            std::vector<model::node_id> nodes;
            for (uint32_t j = 0; j < count && !_failed; ++j) {
                nodes.emplace_back(fixed<int32_t>());
            }
            r.push_back(std::move(nodes));
        }
        return r;
    }
    bool ok() const { return !_failed && _pos == _in.size(); }

private:
    bool take(size_t n) {
        if (_failed || n > _in.size() - _pos) {
            _failed = true;
            return false;
        }
        _pos += n;
        return true;
    }

    std::vector<uint8_t> _in;
    size_t _pos{0};
    bool _failed{false};
};

template<class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template<class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

} // namespace

base::iobuf encode_command(const topic_command& cmd) {
    encoder e;
    std::visit(overloaded{
                   [&](const create_topic_cmd& c) {
                       e.fixed(static_cast<uint8_t>(command_type::create_topic));
                       e.string(c.topic.name);
                       e.bytes(c.topic.id);
                       e.fixed(c.topic.partitions);
                       e.fixed(c.topic.replication_factor);
                       e.configs(c.topic.configs);
                       e.replicas(c.topic.replicas);
                   },
                   [&](const delete_topic_cmd& c) {
                       e.fixed(static_cast<uint8_t>(command_type::delete_topic));
                       e.string(c.name);
                   },
                   [&](const create_partitions_cmd& c) {
                       e.fixed(static_cast<uint8_t>(command_type::create_partitions));
                       e.string(c.name);
                       e.fixed(c.total);
                       e.replicas(c.replicas);
                   },
                   [&](const set_topic_configs_cmd& c) {
                       e.fixed(static_cast<uint8_t>(command_type::set_topic_configs));
                       e.string(c.name);
                       e.configs(c.configs);
                   },
                   [&](const allocate_producer_ids_cmd& c) {
                       e.fixed(static_cast<uint8_t>(command_type::allocate_producer_ids));
                       e.fixed(c.end);
                   },
                   [&](const cluster_id_cmd& c) {
                       e.fixed(static_cast<uint8_t>(command_type::cluster_id));
                       e.string(c.id);
                   },
                   [&](const register_node_cmd& c) {
                       e.fixed(static_cast<uint8_t>(command_type::register_node));
                       e.fixed(c.node.id());
                       e.address(c.node.kafka);
                       e.address(c.node.rpc);
                   },
               },
               cmd);
    return e.done();
}

base::result<topic_command, errc> decode_command(const base::iobuf& bytes) {
    decoder d(bytes.to_vector());
    auto type = static_cast<command_type>(d.fixed<uint8_t>());
    topic_command out;
    switch (type) {
        case command_type::create_topic: {
            create_topic_cmd c;
            c.topic.name = d.string();
            c.topic.id = d.id();
            c.topic.partitions = d.fixed<int32_t>();
            c.topic.replication_factor = d.fixed<int16_t>();
            c.topic.configs = d.configs();
            c.topic.replicas = d.replicas();
            out = std::move(c);
            break;
        }
        case command_type::delete_topic:
            out = delete_topic_cmd{d.string()};
            break;
        case command_type::create_partitions: {
            create_partitions_cmd c;
            c.name = d.string();
            c.total = d.fixed<int32_t>();
            c.replicas = d.replicas();
            out = std::move(c);
            break;
        }
        case command_type::set_topic_configs: {
            set_topic_configs_cmd c;
            c.name = d.string();
            c.configs = d.configs();
            out = std::move(c);
            break;
        }
        case command_type::allocate_producer_ids:
            out = allocate_producer_ids_cmd{d.fixed<int64_t>()};
            break;
        case command_type::cluster_id:
            out = cluster_id_cmd{d.string()};
            break;
        case command_type::register_node: {
            register_node_cmd c;
            c.node.id = model::node_id(d.fixed<int32_t>());
            c.node.kafka = d.address();
            c.node.rpc = d.address();
            out = std::move(c);
            break;
        }
        default:
            return base::make_error(
                errc::bad_command,
                fmt::format("unknown command type {}", static_cast<int>(type)));
    }
    if (!d.ok()) {
        return base::make_error(errc::bad_command, "command cut short or too long");
    }
    return out;
}

} // namespace cluster
