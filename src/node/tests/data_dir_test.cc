#include "node/data_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

namespace {

std::string fresh_dir(const char* name) {
    auto p = std::filesystem::path(testing::TempDir()) / name;
    std::filesystem::remove_all(p);
    return p.string();
}

TEST(data_dir, creates_the_directory_and_keeps_the_cluster_id) {
    auto path = fresh_dir("atoll_data_dir_keep");
    std::string first;
    {
        auto dir = node::data_dir::open(path + "/nested");
        ASSERT_TRUE(dir) << dir.message();
        first = dir->cluster_id();
        EXPECT_EQ(first.size(), 22u);
    }
    auto again = node::data_dir::open(path + "/nested");
    ASSERT_TRUE(again) << again.message();
    EXPECT_EQ(again->cluster_id(), first);
    std::filesystem::remove_all(path);
}

TEST(data_dir, a_second_node_cannot_open_a_directory_in_use) {
    auto path = fresh_dir("atoll_data_dir_lock");
    auto first = node::data_dir::open(path);
    ASSERT_TRUE(first);
    auto second = node::data_dir::open(path);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.code(), node::errc::in_use);
    EXPECT_NE(second.message().find("in use"), std::string::npos);
    std::filesystem::remove_all(path);
}

TEST(data_dir, cluster_ids_are_random_and_url_safe) {
    std::set<std::string> ids;
    for (int i = 0; i < 100; ++i) {
        auto id = node::make_cluster_id();
        EXPECT_EQ(id.find_first_not_of(
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 100u);
}

} // namespace
