// The controller as a Raft group: three controllers, each on its own data
// directory with its own internal RPC server on a real socket, elect a
// leader; commands are taken by the leader only, applied on every replica
// in the same order, and survive the leader's loss; producer id blocks
// claimed by two leaders in turn never overlap.

#include "cluster/controller.h"
#include "cluster/tests/fixtures.h"
#include "runtime/tests/waits.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace cluster {
namespace {

using runtime::testing::wait_until;

class node {
public:
    node(boost::asio::io_context& io, const std::string& dir, int id,
         const std::map<int, uint16_t>& ports)
      : _endpoint(io.get_executor(),
                  [this](raft::batch b) { ctl->receive(std::move(b)); }) {
        controller::settings s{.self = model::node_id(id)};
        s.voters = {model::node_id(1), model::node_id(2), model::node_id(3)};
        s.options.seed = static_cast<uint64_t>(id);
        s.peers = testing::loopback_peers(ports);
        ctl = std::make_unique<controller>(
            io.get_executor(), storage::join_path(dir, std::to_string(id)), std::move(s),
            [this](const topic_command& cmd) -> runtime::awaitable<void> {
                applied.push_back(std::visit(
                    [](const auto& c) -> std::string {
                        using T = std::decay_t<decltype(c)>;
                        if constexpr (std::is_same_v<T, create_topic_cmd>) {
                            return "create " + c.topic.name;
                        } else if constexpr (std::is_same_v<T, delete_topic_cmd>) {
                            return "delete " + c.name;
                        } else {
                            return "other";
                        }
                    },
                    cmd));
                co_return;
            });
    }

    uint16_t listen() { return _endpoint.listen(); }

    runtime::awaitable<void> stop() {
        stopped = true;
        co_await _endpoint.stop();
        co_await ctl->stop();
    }

    std::unique_ptr<controller> ctl;
    std::vector<std::string> applied;
    bool stopped{false};

private:
    testing::raft_endpoint _endpoint;
};

node* leader_of(std::vector<std::unique_ptr<node>>& nodes) {
    for (auto& n : nodes) {
        if (!n->stopped && n->ctl->is_leader()) {
            return n.get();
        }
    }
    return nullptr;
}

topic_metadata topic_named(const std::string& name, uint8_t id) {
    topic_metadata t;
    t.name = name;
    t.id[0] = id;
    return t;
}

} // namespace

TEST(controller, three_controllers_agree_on_commands_and_survive_the_leaders_loss) {
    testing::temp_dir dir;
    ASSERT_FALSE(dir.path.empty());
    testing::run_on_shard([&](boost::asio::io_context& io) -> runtime::awaitable<void> {
        std::map<int, uint16_t> ports;
        std::vector<std::unique_ptr<node>> nodes;
        for (int id = 1; id <= 3; ++id) {
            nodes.push_back(std::make_unique<node>(io, dir.path, id, ports));
            ports[id] = nodes.back()->listen();
        }
        for (auto& n : nodes) {
            auto started = co_await n->ctl->start();
            EXPECT_TRUE(started) << started.message();
        }
        EXPECT_TRUE(co_await wait_until([&] { return leader_of(nodes) != nullptr; }));
        auto* first = leader_of(nodes);
        if (first == nullptr) {
            co_return;
        }
        for (auto& n : nodes) {
            if (n.get() != first) {
                // Only the leader takes commands.
                auto refused = co_await n->ctl->create_topic(topic_named("x", 9));
                EXPECT_EQ(refused, controller_errc::not_controller);
            }
        }
        EXPECT_EQ(co_await first->ctl->create_topic(topic_named("a", 1)),
                  controller_errc::none);
        EXPECT_EQ(co_await first->ctl->create_topic(topic_named("a", 1)),
                  controller_errc::topic_exists);
        EXPECT_EQ(co_await first->ctl->create_topic(topic_named("b", 2)),
                  controller_errc::none);
        EXPECT_EQ(co_await first->ctl->delete_topic("a"), controller_errc::none);
        auto first_id = co_await first->ctl->allocate_producer_id();
        EXPECT_TRUE(first_id.has_value());
        const std::vector<std::string> expected{"create a", "create b", "delete a"};
        EXPECT_TRUE(co_await wait_until([&] {
            for (auto& n : nodes) {
                if (n->applied != expected) {
                    return false;
                }
            }
            return true;
        }));
        co_await first->stop();
        EXPECT_TRUE(co_await wait_until([&] { return leader_of(nodes) != nullptr; }));
        auto* second = leader_of(nodes);
        if (second == nullptr) {
            co_return;
        }
        EXPECT_NE(second, first);
        EXPECT_NE(second->ctl->topics().find("b"), nullptr);
        EXPECT_EQ(second->ctl->topics().find("a"), nullptr);
        EXPECT_EQ(co_await second->ctl->create_topic(topic_named("c", 3)),
                  controller_errc::none);
        auto second_id = co_await second->ctl->allocate_producer_id();
        EXPECT_TRUE(second_id.has_value());
        if (first_id && second_id) {
            // The new leader's block starts after every block claimed before.
            EXPECT_GE(*second_id, *first_id + controller::producer_id_block);
        }
        EXPECT_TRUE(co_await wait_until([&] {
            for (auto& n : nodes) {
                if (!n->stopped && n->applied.size() != expected.size() + 1) {
                    return false;
                }
            }
            return true;
        }));
        for (auto& n : nodes) {
            if (!n->stopped) {
                co_await n->stop();
            }
        }
    });
}

} // namespace cluster
