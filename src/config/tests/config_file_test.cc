#include "config/config_file.h"
#include "config/properties.h"

#include <gtest/gtest.h>

namespace {

using namespace config;

TEST(config_file, sets_scalars_and_lists) {
    property_set values({scope::node, scope::cluster});
    auto r = load_yaml_text("node.id: 3\n"
                            "log.dir: /tmp/x\n"
                            "auto.create.topics.enable: false\n",
                            values);
    ASSERT_TRUE(r) << r.message();
    EXPECT_EQ(values.get(properties::node_id), 3);
    EXPECT_EQ(values.get(properties::log_dir), "/tmp/x");
    EXPECT_FALSE(values.get(properties::auto_create_topics_enable));

    property_set topic({scope::topic});
    ASSERT_TRUE(load_yaml_text("cleanup.policy: [compact, delete]\n", topic));
    EXPECT_EQ(topic.get(properties::cleanup_policy).size(), 2u);
}

TEST(config_file, empty_file_sets_nothing) {
    property_set values({scope::node});
    ASSERT_TRUE(load_yaml_text("", values));
    EXPECT_FALSE(values.is_set(properties::node_id.definition));
}

TEST(config_file, errors_name_the_property) {
    property_set values({scope::node, scope::cluster});
    auto bad = load_yaml_text("socket.request.max.bytes: -5\n", values);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.message().find("socket.request.max.bytes"), std::string::npos);
    auto unknown = load_yaml_text("no.such.property: 1\n", values);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.message().find("no.such.property"), std::string::npos);
    auto nested = load_yaml_text("node.id: {a: 1}\n", values);
    ASSERT_FALSE(nested);
    EXPECT_NE(nested.message().find("node.id"), std::string::npos);
}

TEST(config_file, malformed_yaml_and_missing_file_are_errors) {
    property_set values({scope::node});
    EXPECT_FALSE(load_yaml_text("node.id: [1, 2\n", values));
    EXPECT_FALSE(load_yaml_text("- just\n- a list\n", values));
    auto missing = load_yaml_file("/nonexistent/atoll.yaml", values);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.code(), errc::unreadable_file);
}

} // namespace
