// Partitions replicated between nodes: three partition_managers, each on
// its own data directory with its own internal RPC server on a real
// socket, running a topic whose partitions have all three as replicas.
// They elect a leader, replicate acks=all batches to every replica, and
// elect another leader when the first one's node stops.

#include "cluster/partition_manager.h"
#include "cluster/tests/fixtures.h"
#include "model/batch_walker.h"
#include "runtime/tests/waits.h"
#include "storage/tests/test_batches.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

using namespace std::chrono_literals;

namespace cluster {
namespace {

using runtime::testing::wait_until;

class node {
public:
    node(boost::asio::io_context& io, const std::string& dir, int id,
         const std::map<int, uint16_t>& ports)
      : _endpoint(io.get_executor(),
                  [this](raft::batch b) { manager->receive(std::move(b)); }) {
        partition_manager::raft_settings raft{.self = model::node_id(id)};
        raft.peers = testing::loopback_peers(ports);
        manager = std::make_unique<partition_manager>(
            io.get_executor(), storage::join_path(dir, std::to_string(id)),
            storage::log_config{}, storage::housekeeping_options{}, raft);
        auto opened = manager->open();
        EXPECT_TRUE(opened) << opened.message();
    }

    uint16_t listen() { return _endpoint.listen(); }

    runtime::awaitable<void> stop() {
        stopped = true;
        co_await _endpoint.stop();
        co_await manager->stop();
    }

    std::unique_ptr<partition_manager> manager;
    bool stopped{false};

private:
    testing::raft_endpoint _endpoint;
};

// The node whose replica of t-<p> leads, among those still running.
node* leader_of(std::vector<std::unique_ptr<node>>& nodes, int32_t p) {
    for (auto& n : nodes) {
        if (n->stopped) {
            continue;
        }
        if (auto* part = n->manager->get("t", p); part && part->raft().is_leader()) {
            return n.get();
        }
    }
    return nullptr;
}

// The Kafka base offsets of the batches a replica holds.
std::vector<int64_t> offsets_held(partition& p) {
    std::vector<int64_t> out;
    auto r = p.read(0, 1 << 20, p.log_end(), true);
    if (!r) {
        return out;
    }
    model::batch_walker walker(std::move(r->data));
    for (auto b = walker.next(); b && *b; b = walker.next()) {
        out.push_back((*b)->base_offset()());
    }
    return out;
}

topic_metadata replicated_topic(int32_t partitions) {
    topic_metadata t;
    t.name = "t";
    t.id[0] = 7;
    t.partitions = partitions;
    t.replication_factor = 3;
    for (int32_t p = 0; p < partitions; ++p) {
        t.replicas.push_back({model::node_id(1), model::node_id(2), model::node_id(3)});
    }
    return t;
}

} // namespace

TEST(replication, three_nodes_replicate_over_the_internal_rpc_and_fail_over) {
    testing::temp_dir dir;
    ASSERT_FALSE(dir.path.empty());
    testing::run_on_shard([&](boost::asio::io_context& io) -> runtime::awaitable<void> {
        constexpr int32_t partitions = 4;
        std::map<int, uint16_t> ports;
        std::vector<std::unique_ptr<node>> nodes;
        for (int id = 1; id <= 3; ++id) {
            nodes.push_back(std::make_unique<node>(io, dir.path, id, ports));
            ports[id] = nodes.back()->listen();
        }
        auto topic = replicated_topic(partitions);
        for (auto& n : nodes) {
            EXPECT_TRUE(n->manager->ensure(topic, 1));
            n->manager->start();
        }
        auto all_led = [&] {
            for (int32_t p = 0; p < partitions; ++p) {
                if (leader_of(nodes, p) == nullptr) {
                    return false;
                }
            }
            return true;
        };
        EXPECT_TRUE(co_await wait_until(all_led, 10s));
        // Each partition: an acks=all batch is on every replica once answered
        // (the followers learn the commit with the next heartbeat).
        for (int32_t p = 0; p < partitions; ++p) {
            auto* leader = leader_of(nodes, p);
            if (leader == nullptr) {
                continue;
            }
            auto written = co_await leader->manager->get("t", p)->replicate(
                storage::testing::make_batch(3, "v", 1000), replicate_ack::majority);
            EXPECT_TRUE(written.has_value());
        }
        auto everywhere = [&] {
            for (auto& n : nodes) {
                for (int32_t p = 0; p < partitions; ++p) {
                    auto& part = *n->manager->get("t", p);
                    if (part.high_watermark() != 3
                        || offsets_held(part) != std::vector<int64_t>{0}) {
                        return false;
                    }
                }
            }
            return true;
        };
        EXPECT_TRUE(co_await wait_until(everywhere, 5s));
        // The leader of partition 0 goes away; the other two elect one of
        // themselves and go on committing.
        auto* first = leader_of(nodes, 0);
        EXPECT_NE(first, nullptr);
        if (first != nullptr) {
            co_await first->stop();
        }
        EXPECT_TRUE(
            co_await wait_until([&] { return leader_of(nodes, 0) != nullptr; }, 10s));
        if (auto* second = leader_of(nodes, 0)) {
            EXPECT_NE(second, first);
            auto written = co_await second->manager->get("t", 0)->replicate(
                storage::testing::make_batch(2, "w", 2000), replicate_ack::majority);
            EXPECT_TRUE(written.has_value());
            if (written) {
                EXPECT_EQ(written->base_offset(), 3);
            }
            EXPECT_EQ(offsets_held(*second->manager->get("t", 0)),
                      (std::vector<int64_t>{0, 3}));
        }
        for (auto& n : nodes) {
            if (!n->stopped) {
                co_await n->stop();
            }
        }
    });
}

} // namespace cluster
