#include "base/named_type.h"
#include "base/result.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace {

enum class test_errc { bad_input, gone };

base::result<int, test_errc> half(int v) {
    if (v % 2 != 0) {
        return base::make_error(test_errc::bad_input, "odd");
    }
    return v / 2;
}

TEST(result, holds_a_value_or_an_error) {
    auto good = half(4);
    ASSERT_TRUE(good);
    EXPECT_EQ(*good, 2);
    auto bad = half(3);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.code(), test_errc::bad_input);
    EXPECT_EQ(bad.message(), "odd");
}

TEST(result, void_result_is_ok_or_error) {
    base::result<void, test_errc> fine = base::ok;
    EXPECT_TRUE(fine);
    base::result<void, test_errc> failed = base::make_error(test_errc::gone);
    EXPECT_FALSE(failed);
    EXPECT_EQ(failed.code(), test_errc::gone);
}

TEST(result_death, reading_the_value_of_an_error_asserts) {
    auto bad = half(3);
    EXPECT_DEATH((void)bad.value(), "result holds an error: odd");
}

using offset = base::named_type<int64_t, struct offset_tag>;
using count = base::named_type<int64_t, struct count_tag>;

TEST(named_type, distinct_tags_do_not_convert) {
    static_assert(!std::is_convertible_v<offset, count>);
    static_assert(!std::is_convertible_v<int64_t, offset>);
    static_assert(!std::is_assignable_v<offset&, count>);
    EXPECT_LT(offset(1), offset(2));
    EXPECT_EQ(offset(5)(), 5);
}

} // namespace
