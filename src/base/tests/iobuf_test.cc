#include "base/iobuf.h"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(iobuf, append_and_read_back) {
    base::iobuf b;
    b.append(std::string_view("hello "));
    b.append(std::string_view("world"));
    EXPECT_EQ(b.size_bytes(), 11u);
    EXPECT_EQ(b.to_string(), "hello world");
    // Small appends share one fragment.
    EXPECT_EQ(b.fragments().size(), 1u);
}

TEST(iobuf, large_append_spans_bounded_fragments) {
    std::string big(3 * base::iobuf::max_fragment_bytes + 5, 'z');
    base::iobuf b;
    b.append(std::string_view(big));
    EXPECT_EQ(b.to_string(), big);
    for (const auto& f : b.fragments()) {
        EXPECT_LE(f.size(), base::iobuf::max_fragment_bytes);
    }
}

TEST(iobuf, appending_an_iobuf_moves_fragments_without_copying) {
    auto a = base::iobuf::copy_of(std::string_view("abc"));
    auto b = base::iobuf::copy_of(std::string_view("def"));
    const uint8_t* b_bytes = b.fragments().front().data();
    a.append(std::move(b));
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(a.to_string(), "abcdef");
    ASSERT_EQ(a.fragments().size(), 2u);
    EXPECT_EQ(a.fragments().back().data(), b_bytes);
}

TEST(iobuf, share_is_a_zero_copy_view) {
    base::iobuf a;
    a.append(std::string_view("0123456789"));
    a.append(base::iobuf::copy_of(std::string_view("abcdefghij")));
    auto view = a.share(5, 10);
    EXPECT_EQ(view.to_string(), "56789abcde");
    EXPECT_EQ(view.fragments().front().data(), a.fragments().front().data() + 5);
}

TEST(iobuf, appending_after_share_never_changes_the_shared_bytes) {
    base::iobuf a;
    a.append(std::string_view("abc"));
    auto view = a.share(0, 3);
    // `a`'s tail buffer is now shared: appends must go to a new buffer, or
    // they would write into memory `view` also owns.
    a.append(std::string_view("XYZ"));
    auto view_tail = view.share(0, 3);
    view.append(std::string_view("123"));
    EXPECT_EQ(a.to_string(), "abcXYZ");
    EXPECT_EQ(view.to_string(), "abc123");
    EXPECT_EQ(view_tail.to_string(), "abc");
}

TEST(iobuf, trim_front_across_fragments) {
    base::iobuf a = base::iobuf::copy_of(std::string_view("abc"));
    a.append(base::iobuf::copy_of(std::string_view("defg")));
    a.trim_front(4);
    EXPECT_EQ(a.to_string(), "efg");
    EXPECT_EQ(a.fragments().size(), 1u);
    a.trim_front(3);
    EXPECT_TRUE(a.empty());
}

TEST(iobuf, equality_ignores_fragmentation) {
    base::iobuf a = base::iobuf::copy_of(std::string_view("abcdef"));
    base::iobuf b = base::iobuf::copy_of(std::string_view("abc"));
    b.append(base::iobuf::copy_of(std::string_view("def")));
    EXPECT_TRUE(a == b);
    b.append(std::string_view("!"));
    EXPECT_FALSE(a == b);
}

TEST(iobuf_death, share_outside_the_buffer_asserts) {
    base::iobuf a = base::iobuf::copy_of(std::string_view("abc"));
    EXPECT_DEATH((void)a.share(2, 2), "outside iobuf");
}

} // namespace
