#include "config/command_line.h"
#include "node/node.h"

#include <cstdio>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    auto cmd = config::parse_command_line(args);
    if (!cmd) {
        std::fprintf(stderr, "atolld: %s\n", cmd.message().c_str());
        return 2;
    }
    if (cmd->help) {
        std::fputs(config::node_help_text("atolld").c_str(), stdout);
        return 0;
    }
    if (cmd->version) {
        std::printf("atolld %s\n", ATOLL_VERSION);
        return 0;
    }
    auto cfg = config::load_node_config(*cmd);
    if (!cfg) {
        std::fprintf(stderr, "atolld: %s\n", cfg.message().c_str());
        return 2;
    }
    return node::run(*cfg);
}
