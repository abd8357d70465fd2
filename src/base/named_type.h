#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>
#include <type_traits>

#include <fmt/format.h>

namespace base {

// A value of type T with its own identity: a named_type<int64_t, struct
// offset_tag> and a named_type<int64_t, struct count_tag> do not mix, so an
// offset cannot be passed where a count is expected. Arithmetic is left to
// the types that need it.
template<typename T, typename Tag>
class named_type {
public:
    using type = T;

    constexpr named_type() = default;
    constexpr explicit named_type(T value)
      : _value(value) {}

    constexpr T operator()() const { return _value; }
    constexpr const T& value() const { return _value; }

    constexpr auto operator<=>(const named_type&) const = default;
    constexpr bool operator==(const named_type&) const = default;

    friend std::ostream& operator<<(std::ostream& os, const named_type& v) {
        return os << v._value;
    }

private:
    T _value{};
};

} // namespace base

template<typename T, typename Tag>
struct std::hash<base::named_type<T, Tag>> {
    size_t operator()(const base::named_type<T, Tag>& v) const {
        return std::hash<T>{}(v());
    }
};

template<typename T, typename Tag>
struct fmt::formatter<base::named_type<T, Tag>> : fmt::formatter<T> {
    auto format(const base::named_type<T, Tag>& v, format_context& ctx) const {
        return fmt::formatter<T>::format(v(), ctx);
    }
};
