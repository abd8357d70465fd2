#include "kafka/server/handlers/topic_creation.h"

#include "cluster/members_table.h"
#include "config/property_set.h"
#include "config/registry.h"
#include "kafka/server/handlers/topic_rules.h"

#include <fmt/format.h>

#include <algorithm>

#include <random>

namespace kafka::handlers {
namespace {

cluster::topic_id random_topic_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    cluster::topic_id id{};
    for (auto& b : id) {
        b = static_cast<uint8_t>(rng());
    }
    // Kafka reserves the all-zero id (no topic) and id 1 (the metadata
    // topic); neither comes out of 128 random bits in practice, but never
    // hand them out.
    id[15] |= 0x02;
    return id;
}

} // namespace

std::vector<int32_t> registered_brokers(const backend& node) {
    std::vector<int32_t> out;
    if (node.members != nullptr) {
        for (const auto& [id, m] : node.members->all()) {
            out.push_back(id);
        }
    }
    if (out.empty()) {
        out.push_back(node.self());
    }
    return out;
}

std::optional<creation_error> check_assignment(
    const backend& node, const std::vector<std::vector<int32_t>>& replicas,
    std::optional<int16_t> replication_factor) {
    auto brokers_known = registered_brokers(node);
    auto bad = [](std::string message) {
        return creation_error{error_code::invalid_replica_assignment, std::move(message)};
    };
    for (size_t p = 0; p < replicas.size(); ++p) {
        const auto& brokers = replicas[p];
        if (brokers.empty()) {
            return bad(fmt::format("the assignment of partition {} lists no broker", p));
        }
        auto rf = replication_factor.value_or(static_cast<int16_t>(replicas[0].size()));
        if (brokers.size() != static_cast<size_t>(rf)) {
            return bad(fmt::format("partition {} has {} replicas, but the others have {}",
                                   p, brokers.size(), rf));
        }
        for (size_t i = 0; i < brokers.size(); ++i) {
            if (std::find(brokers_known.begin(), brokers_known.end(), brokers[i])
                == brokers_known.end()) {
                return bad(fmt::format(
                    "the assignment includes broker {}, but no such broker is registered",
                    brokers[i]));
            }
            if (std::find(brokers.begin(), brokers.begin() + i, brokers[i])
                != brokers.begin() + i) {
                return bad(
                    fmt::format("partition {} lists broker {} twice", p, brokers[i]));
            }
        }
    }
    return std::nullopt;
}

std::optional<std::string> invalid_topic_config(const std::string& name,
                                                const std::string& value) {
    const auto* def = config::find_property(name);
    if (def == nullptr || def->scope != config::scope::topic) {
        return fmt::format("unknown topic config name: {}", name);
    }
    auto parsed = config::parse_value(*def, value);
    if (!parsed) {
        return parsed.message();
    }
    if (auto ok = config::validate(*def, *parsed); !ok) {
        return ok.message();
    }
    return std::nullopt;
}

std::variant<cluster::topic_metadata, creation_error> check_topic(const backend& node,
                                                                  topic_request request) {
    if (auto why = invalid_topic_name(request.name)) {
        return creation_error{error_code::invalid_topic_exception, *why};
    }
    int32_t partitions =
        request.partitions == -1 ? node.default_partitions : request.partitions;
    if (partitions < 1) {
        return creation_error{error_code::invalid_partitions,
                              "number of partitions must be larger than 0"};
    }
    int16_t rf = request.replication_factor == -1 ? node.default_replication_factor
                                                  : request.replication_factor;
    if (rf < 1) {
        return creation_error{error_code::invalid_replication_factor,
                              "replication factor must be larger than 0"};
    }
    // More replicas than nodes cannot be placed.
    auto nodes = registered_brokers(node).size();
    if (static_cast<size_t>(rf) > nodes) {
        return creation_error{
            error_code::invalid_replication_factor,
            fmt::format("replication factor: {} larger than available brokers: {}", rf,
                        nodes)};
    }
    for (const auto& [k, v] : request.configs) {
        if (auto why = invalid_topic_config(k, v)) {
            return creation_error{error_code::invalid_config, *why};
        }
    }
    cluster::topic_metadata t;
    t.name = std::move(request.name);
    t.id = random_topic_id();
    t.partitions = partitions;
    t.replication_factor = rf;
    t.configs = std::move(request.configs);
    for (const auto& brokers : request.replicas) {
        auto& placed = t.replicas.emplace_back();
        for (auto b : brokers) {
            placed.emplace_back(b);
        }
    }
    return t;
}

runtime::awaitable<cluster::controller_errc> create_on_controller(
    backend& node, cluster::topic_metadata t) {
    auto* ctl = node.controller;
    auto task =
        runtime::submit_to(runtime::shard_id(0), [ctl, t = std::move(t)]() mutable {
            return ctl->create_topic(std::move(t));
        });
    co_return co_await std::move(task);
}

error_code to_error_code(cluster::controller_errc e) {
    switch (e) {
        case cluster::controller_errc::none:
            return error_code::none;
        case cluster::controller_errc::topic_exists:
            return error_code::topic_already_exists;
        case cluster::controller_errc::unknown_topic:
            return error_code::unknown_topic_or_partition;
        case cluster::controller_errc::invalid_partitions:
            return error_code::invalid_partitions;
        case cluster::controller_errc::storage_error:
            return error_code::kafka_storage_error;
        case cluster::controller_errc::not_controller:
            return error_code::not_controller;
        case cluster::controller_errc::invalid_replication_factor:
            return error_code::invalid_replication_factor;
        case cluster::controller_errc::invalid_replica_assignment:
            return error_code::invalid_replica_assignment;
    }
    return error_code::unknown_server_error;
}

} // namespace kafka::handlers
