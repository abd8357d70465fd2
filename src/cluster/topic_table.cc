#include "cluster/topic_table.h"

namespace cluster {
namespace {

template<class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template<class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

} // namespace

std::vector<model::node_id> topic_metadata::replicas_of(int32_t p,
                                                        model::node_id self) const {
    if (p >= 0 && static_cast<size_t>(p) < replicas.size() && !replicas[p].empty()) {
        return replicas[p];
    }
    return {self};
}

void topic_table::apply(const topic_command& cmd) {
    std::visit(overloaded{
                   [this](const create_topic_cmd& c) {
                       if (_topics.contains(c.topic.name)) {
                           return;
                       }
                       _topics.emplace(c.topic.name, c.topic);
                       _by_id.emplace(c.topic.id, c.topic.name);
                   },
                   [this](const delete_topic_cmd& c) {
                       auto it = _topics.find(c.name);
                       if (it == _topics.end()) {
                           return;
                       }
                       _by_id.erase(it->second.id);
                       _topics.erase(it);
                   },
                   [this](const create_partitions_cmd& c) {
                       auto it = _topics.find(c.name);
                       if (it != _topics.end() && c.total > it->second.partitions) {
                           auto& t = it->second;
                           if (!c.replicas.empty()) {
                               // Earlier partitions listed none: they stay alone.
                               t.replicas.resize(static_cast<size_t>(t.partitions));
                               t.replicas.insert(t.replicas.end(), c.replicas.begin(),
                                                 c.replicas.end());
                           }
                           t.partitions = c.total;
                       }
                   },
                   [this](const set_topic_configs_cmd& c) {
                       auto it = _topics.find(c.name);
                       if (it != _topics.end()) {
                           it->second.configs = c.configs;
                       }
                   },
                   [](const allocate_producer_ids_cmd&) {},
                   [](const register_node_cmd&) {},
                   [](const cluster_id_cmd&) {},
               },
               cmd);
}

const topic_metadata* topic_table::find(std::string_view name) const {
    auto it = _topics.find(name);
    return it == _topics.end() ? nullptr : &it->second;
}

const topic_metadata* topic_table::find(const topic_id& id) const {
    auto it = _by_id.find(id);
    return it == _by_id.end() ? nullptr : find(it->second);
}

} // namespace cluster
