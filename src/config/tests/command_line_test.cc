#include "config/command_line.h"
#include "config/properties.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <vector>

namespace {

using namespace config;

result<command_line> parse(std::vector<std::string_view> args) {
    return parse_command_line(args);
}

TEST(command_line, flags_set_their_properties) {
    auto cmd = parse({"--node-id", "4", "--data-dir=/var/atoll", "--kafka-addr",
                      "0.0.0.0:19092", "--advertise-kafka-addr", "broker1:19092",
                      "--cores", "2", "--no-pin", "--set", "message.max.bytes=2000"});
    ASSERT_TRUE(cmd) << cmd.message();
    auto values = load_node_config(*cmd);
    ASSERT_TRUE(values) << values.message();
    EXPECT_EQ(values->get(properties::node_id), 4);
    EXPECT_EQ(values->get(properties::log_dir), "/var/atoll");
    EXPECT_EQ(values->get(properties::listeners), "PLAINTEXT://0.0.0.0:19092");
    EXPECT_EQ(values->get(properties::advertised_listeners), "PLAINTEXT://broker1:19092");
    EXPECT_EQ(values->get(properties::smp), 2);
    EXPECT_FALSE(values->get(properties::pin_shards));
    EXPECT_EQ(values->get(properties::message_max_bytes), 2000);
}

TEST(command_line, flags_override_the_config_file) {
    auto path = testing::TempDir() + "atoll_cmdline.yaml";
    std::ofstream(path) << "node.id: 1\nsmp: 1\n";
    auto cmd = parse({"--config", path, "--node-id", "9"});
    ASSERT_TRUE(cmd);
    auto values = load_node_config(*cmd);
    ASSERT_TRUE(values) << values.message();
    EXPECT_EQ(values->get(properties::node_id), 9);
    EXPECT_EQ(values->get(properties::smp), 1);
    std::remove(path.c_str());
}

TEST(command_line, bad_flags_are_clear_errors) {
    auto unknown = parse({"--frobnicate"});
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.message().find("--frobnicate"), std::string::npos);
    EXPECT_FALSE(parse({"--node-id"}));
    EXPECT_FALSE(parse({"--set", "novalue"}));

    auto cmd = parse({"--smp", "0x"});
    ASSERT_TRUE(cmd);
    auto values = load_node_config(*cmd);
    ASSERT_FALSE(values);
    EXPECT_NE(values.message().find("smp"), std::string::npos);
}

TEST(command_line, help_lists_every_flag_and_node_property) {
    auto help = node_help_text("atolld");
    for (auto flag :
         {"--config", "--data-dir", "--kafka-addr", "--advertise-kafka-addr", "--node-id",
          "--smp", "--cores", "--no-pin", "--set", "--log-level"}) {
        EXPECT_NE(help.find(flag), std::string::npos) << flag;
    }
    EXPECT_NE(help.find("socket.request.max.bytes"), std::string::npos);
    EXPECT_NE(help.find("auto.create.topics.enable"), std::string::npos);
}

} // namespace
