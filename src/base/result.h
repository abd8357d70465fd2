#pragma once

#include "base/vassert.h"

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace base {

// The error half of a result: a code from the module that failed and a
// message for people. Codes are the module's own enum (errc.h).
template<typename Code>
struct error {
    Code code;
    std::string message;
};

template<typename Code>
error<Code> make_error(Code code, std::string message = {}) {
    return error<Code>{code, std::move(message)};
}

// result<T, E> holds a T or an error<E> (libstdc++ 12 has no std::expected).
// Reading the wrong half is a bug and asserts.
template<typename T, typename E>
class [[nodiscard]] result {
public:
    // Like std::expected: a default value (Asio's co_spawn needs one).
    result() requires std::is_default_constructible_v<T> : _v(std::in_place_index<0>) {}
    result(T value) // NOLINT: implicit, like std::expected
      : _v(std::in_place_index<0>, std::move(value)) {}
    result(error<E> err) // NOLINT
      : _v(std::in_place_index<1>, std::move(err)) {}

    bool has_value() const { return _v.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        vassert(has_value(), "result holds an error: {}", err().message);
        return std::get<0>(_v);
    }
    const T& value() const& {
        vassert(has_value(), "result holds an error: {}", err().message);
        return std::get<0>(_v);
    }
    T&& value() && {
        vassert(has_value(), "result holds an error: {}", err().message);
        return std::get<0>(std::move(_v));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const error<E>& error_value() const {
        vassert(!has_value(), "result holds a value, not an error");
        return std::get<1>(_v);
    }
    E code() const { return error_value().code; }
    const std::string& message() const { return error_value().message; }

private:
    const error<E>& err() const { return std::get<1>(_v); }

    std::variant<T, error<E>> _v;
};

// result<void, E>: success or an error.
struct ok_t {};
inline constexpr ok_t ok{};

template<typename E>
class [[nodiscard]] result<void, E> {
public:
    result() = default;  // success, as std::expected<void, E>
    result(ok_t) {}      // NOLINT
    result(error<E> err) // NOLINT
      : _err(std::move(err))
      , _failed(true) {}

    bool has_value() const { return !_failed; }
    explicit operator bool() const { return has_value(); }

    const error<E>& error_value() const {
        vassert(_failed, "result holds success, not an error");
        return _err;
    }
    E code() const { return error_value().code; }
    const std::string& message() const { return error_value().message; }

private:
    error<E> _err{};
    bool _failed{false};
};

} // namespace base
