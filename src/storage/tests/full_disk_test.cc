#include "storage/disk_log.h"
#include "storage/kvstore.h"
#include "storage/tests/test_batches.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/mount.h>
#include <unistd.h>

namespace storage {
namespace {

using testing::make_batch;

// A 2 MiB tmpfs mounted for the test: a real filesystem that really runs
// out of space. Mounting needs root; without it the test skips, unless CI
// is set, where it must run.
class small_filesystem {
public:
    small_filesystem() {
        char tmpl[] = "/tmp/atoll-full-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) {
            error = "mkdtemp failed";
            return;
        }
        dir = tmpl;
        if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=2m") != 0) {
            error = std::string("mount tmpfs: ") + std::strerror(errno);
            return;
        }
        mounted = true;
    }
    ~small_filesystem() {
        if (mounted) {
            ::umount(dir.c_str());
        }
        if (!dir.empty()) {
            std::filesystem::remove_all(dir);
        }
    }
    std::string dir;
    std::string error;
    bool mounted{false};
};

#define REQUIRE_SMALL_FILESYSTEM(fs)                                                     \
    do {                                                                                 \
        if (!(fs).mounted) {                                                             \
            if (::geteuid() != 0 && std::getenv("CI") == nullptr) {                      \
                GTEST_SKIP() << "needs root to mount a small tmpfs (" << (fs).error      \
                             << "); under CI=true this test must run";                   \
            }                                                                            \
            FAIL() << "cannot make the small filesystem: " << (fs).error;                \
        }                                                                                \
    } while (0)

void write_ballast(const std::string& path, size_t bytes) {
    std::ofstream out(path, std::ios::binary);
    std::string chunk(4096, 'x');
    for (size_t i = 0; i < bytes; i += chunk.size()) {
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
}

TEST(full_disk,
     appends_fail_cleanly_keep_what_was_written_and_resume_once_space_returns) {
    small_filesystem small;
    REQUIRE_SMALL_FILESYSTEM(small);
    std::string ballast = small.dir + "/ballast";
    write_ballast(ballast, 512 * 1024);

    log_config config;
    config.segment_bytes = 256 * 1024; // rolls while filling, too
    std::string dir = small.dir + "/topic-0";
    auto opened = disk_log::open(posix_file_system(), dir, config, system_clock_ms());
    ASSERT_TRUE(opened) << opened.message();
    auto l = std::move(*opened);

    std::vector<std::vector<uint8_t>> acknowledged;
    std::optional<errc> failure;
    for (int i = 0; i < 10'000 && !failure; ++i) {
        auto b = make_batch(8, "k" + std::to_string(i), 1000, 1000);
        auto r = l->append(b, model::term_id(1));
        if (!r) {
            failure = r.code();
            break;
        }
        acknowledged.push_back(b.data().to_vector());
    }
    ASSERT_TRUE(failure) << "the 2 MiB filesystem never filled up";
    EXPECT_EQ(*failure, errc::no_space);
    ASSERT_GT(acknowledged.size(), 50u);

    // More appends keep failing the same way, and damage nothing.
    for (int i = 0; i < 5; ++i) {
        auto b = make_batch(8, "more", 1000, 1000);
        auto r = l->append(b, model::term_id(1));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.code(), errc::no_space);
    }
    auto end = l->offsets().next_offset;
    EXPECT_EQ(end, model::offset(static_cast<int64_t>(acknowledged.size()) * 8));
    auto check_all = [&](disk_log& log) {
        auto r = log.read(model::offset(0), size_t{1} << 30);
        ASSERT_TRUE(r) << r.message();
        ASSERT_EQ(r->batch_count, acknowledged.size());
        size_t pos = 0;
        for (const auto& bytes : acknowledged) {
            ASSERT_EQ(r->data.share(pos, bytes.size()).to_vector(), bytes);
            pos += bytes.size();
        }
    };
    check_all(*l);

    // Space returns: appends go on from where they stopped.
    ASSERT_EQ(::unlink(ballast.c_str()), 0);
    auto b = make_batch(8, "after", 1000, 1000);
    auto r = l->append(b, model::term_id(1));
    ASSERT_TRUE(r) << r.message();
    EXPECT_EQ(r->base_offset, end);
    acknowledged.push_back(b.data().to_vector());
    ASSERT_TRUE(l->flush());
    l.reset();

    auto reopened = disk_log::open(posix_file_system(), dir, config, system_clock_ms());
    ASSERT_TRUE(reopened) << reopened.message();
    EXPECT_FALSE((*reopened)->corrupted_at());
    check_all(**reopened);
}

TEST(full_disk, the_kvstore_refuses_a_write_it_cannot_keep_and_takes_it_later) {
    small_filesystem small;
    REQUIRE_SMALL_FILESYSTEM(small);
    std::string ballast = small.dir + "/ballast";
    write_ballast(ballast, 2 * 1024 * 1024 - 64 * 1024);
    auto kv = kvstore::open(posix_file_system(), small.dir + "/kv", {});
    ASSERT_TRUE(kv) << kv.message();
    std::string big(256 * 1024, 'v');
    auto r = (*kv)->put("raft/term", big);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::no_space);
    EXPECT_FALSE((*kv)->get("raft/term"));
    ASSERT_EQ(::unlink(ballast.c_str()), 0);
    ASSERT_TRUE((*kv)->put("raft/term", big));
    kv->reset();
    auto again = kvstore::open(posix_file_system(), small.dir + "/kv", {});
    ASSERT_TRUE(again);
    EXPECT_EQ((*again)->get("raft/term"), big);
}

} // namespace
} // namespace storage
