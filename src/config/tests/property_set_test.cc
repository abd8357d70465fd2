#include "config/endpoint.h"
#include "config/properties.h"
#include "config/property_set.h"
#include "config/registry.h"

#include <gtest/gtest.h>

#include <set>

namespace {

using namespace config;

TEST(registry, names_are_unique_and_defaults_are_valid) {
    std::set<std::string_view> names;
    for (const auto* def : all_properties()) {
        EXPECT_TRUE(names.insert(def->name).second) << def->name;
        if (!def->broker_name.empty()) {
            EXPECT_EQ(def->scope, scope::topic) << def->name;
        }
        EXPECT_FALSE(def->documentation.empty()) << def->name;
        auto ok = validate(*def, def->default_value);
        EXPECT_TRUE(ok) << def->name << ": " << (ok ? "" : ok.message());
    }
}

TEST(registry, kafka_defaults_match_kafka) {
    property_set values({scope::node, scope::cluster});
    EXPECT_TRUE(values.get(properties::auto_create_topics_enable));
    EXPECT_EQ(values.get(properties::message_max_bytes), 1048588);
    EXPECT_EQ(values.get(properties::socket_request_max_bytes), 104857600);
    EXPECT_EQ(find_property("retention.ms")->scope, scope::topic);
}

TEST(registry, broker_names_of_topic_defaults_are_for_nodes_only) {
    const auto* segment_bytes = find_property("segment.bytes");
    ASSERT_NE(segment_bytes, nullptr);
    EXPECT_EQ(find_node_property("log.segment.bytes"), segment_bytes);
    EXPECT_EQ(find_property("log.segment.bytes"), nullptr); // not a topic config
    // A node's config (node and cluster scopes) takes the broker name only.
    property_set node({scope::node, scope::cluster});
    ASSERT_TRUE(node.set("log.segment.bytes", "1048576"));
    EXPECT_EQ(node.get(properties::segment_bytes), 1048576);
    EXPECT_FALSE(node.set("segment.bytes", "1048576"));
    ASSERT_TRUE(node.set("min.insync.replicas", "2")); // Kafka's broker name too
    EXPECT_EQ(node.get(properties::min_insync_replicas), 2);
    property_set topic({scope::topic});
    EXPECT_FALSE(topic.set("log.segment.bytes", "1048576"));
    // max.message.bytes takes its default from message.max.bytes, as in Kafka.
    EXPECT_EQ(&broker_default_of(properties::max_message_bytes.definition),
              &properties::message_max_bytes.definition);
    EXPECT_EQ(&broker_default_of(*segment_bytes), segment_bytes);
}

TEST(property_set, unset_reads_default_and_set_overrides) {
    property_set values({scope::node});
    EXPECT_EQ(values.get(properties::node_id), 0);
    ASSERT_TRUE(values.set("node.id", "7"));
    EXPECT_EQ(values.get(properties::node_id), 7);
    EXPECT_TRUE(values.is_set(properties::node_id.definition));
}

TEST(property_set, invalid_values_are_rejected_with_the_property_name) {
    property_set values({scope::node, scope::cluster});
    auto not_int = values.set("node.id", "abc");
    ASSERT_FALSE(not_int);
    EXPECT_EQ(not_int.code(), errc::invalid_value);
    EXPECT_NE(not_int.message().find("node.id"), std::string::npos);

    auto below = values.set("socket.request.max.bytes", "-5");
    ASSERT_FALSE(below);
    EXPECT_NE(below.message().find("socket.request.max.bytes"), std::string::npos);
    EXPECT_NE(below.message().find("minimum"), std::string::npos);

    auto not_bool = values.set("auto.create.topics.enable", "yes");
    ASSERT_FALSE(not_bool);
    auto not_allowed = values.set("log.level", "loud");
    ASSERT_FALSE(not_allowed);
    EXPECT_NE(not_allowed.message().find("trace, debug"), std::string::npos);
    // A failed set leaves the old value.
    EXPECT_EQ(values.get(properties::node_id), 0);
}

TEST(property_set, unknown_and_wrong_scope_names_are_rejected) {
    property_set values({scope::node, scope::cluster});
    auto unknown = values.set("no.such.property", "1");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.code(), errc::unknown_property);
    EXPECT_NE(unknown.message().find("no.such.property"), std::string::npos);
    auto topic_only = values.set("retention.ms", "1000");
    ASSERT_FALSE(topic_only);
    EXPECT_EQ(topic_only.code(), errc::wrong_scope);
}

TEST(property_set, lists_parse_from_commas_and_check_each_item) {
    property_set values({scope::topic});
    ASSERT_TRUE(values.set("cleanup.policy", "compact, delete"));
    EXPECT_EQ(values.get(properties::cleanup_policy), (string_list{"compact", "delete"}));
    EXPECT_FALSE(values.set("cleanup.policy", "compact,shred"));
    EXPECT_FALSE(values.set("cleanup.policy", ""));
}

TEST(endpoint, parses_listener_forms) {
    auto plain = parse_listener("PLAINTEXT://127.0.0.1:9092");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->host, "127.0.0.1");
    EXPECT_EQ(plain->port, 9092);
    auto bare = parse_listener("localhost:0");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->port, 0);
    auto v6 = parse_listener("[::1]:9093");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_FALSE(parse_listener("SSL://host:1"));
    EXPECT_FALSE(parse_listener("host"));
    EXPECT_FALSE(parse_listener("host:99999"));
    EXPECT_FALSE(parse_listener("host:12x"));
    EXPECT_FALSE(parse_listener("::1:9092"));
}

TEST(endpoint, parses_controller_voters) {
    auto none = parse_voters("");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    auto three = parse_voters("1@10.0.0.1:33145,2@node2:33146,3@[::1]:1");
    ASSERT_TRUE(three);
    ASSERT_EQ(three->size(), 3u);
    EXPECT_EQ((*three)[1].id, 2);
    EXPECT_EQ((*three)[1].address.host, "node2");
    EXPECT_EQ((*three)[1].address.port, 33146);
    EXPECT_EQ((*three)[2].address.host, "::1");
    EXPECT_FALSE(parse_voters("10.0.0.1:33145"));
    EXPECT_FALSE(parse_voters("x@10.0.0.1:33145"));
    EXPECT_FALSE(parse_voters("-1@10.0.0.1:33145"));
    EXPECT_FALSE(parse_voters("1@10.0.0.1"));
    EXPECT_FALSE(parse_voters("1@h:1,1@h:2"));
    EXPECT_FALSE(parse_voters("1@h:1,"));
    property_set values({scope::node});
    EXPECT_TRUE(values.set("controller.quorum.voters", "1@h:1,2@h:2"));
    EXPECT_FALSE(values.set("controller.quorum.voters", "1@h"));
}

} // namespace
