#include "raft/wire.h"

#include <array>
#include <type_traits>

namespace raft {
namespace {

enum class kind : uint8_t {
    vote_request = 1,
    vote_reply,
    append_request,
    append_reply,
    timeout_now,
};

// The smallest a message can be: its group and kind, and a term.
constexpr size_t min_message_bytes = 8 + 1 + 8;
// An entry's fixed part: term, type, offsets, data size.
constexpr size_t entry_fixed_bytes = 8 + 1 + 4 + 4;

class writer {
public:
    template<typename T>
    void put(T v) {
        using U = std::make_unsigned_t<T>;
        auto u = static_cast<U>(v);
        std::array<uint8_t, sizeof(T)> b{};
        for (size_t i = sizeof(T); i-- > 0;) {
            b[i] = static_cast<uint8_t>(u & 0xFFU);
            if constexpr (sizeof(T) > 1) {
                u = static_cast<U>(u >> 8U);
            }
        }
        out.append(b.data(), b.size());
    }
    void put(bool v) { put<uint8_t>(v ? 1 : 0); }
    void put(term_id t) { put<int64_t>(t()); }
    void put(log_index i) { put<int64_t>(i()); }

    base::iobuf out;
};

class reader {
public:
    explicit reader(const base::iobuf& in)
      : _in(in) {}

    bool failed() const { return _failed; }
    size_t remaining() const { return _in.size_bytes() - _pos; }

    template<typename T>
    T get() {
        using U = std::make_unsigned_t<T>;
        if (_failed || remaining() < sizeof(T)) {
            _failed = true;
            return T{};
        }
        std::array<uint8_t, sizeof(T)> b{};
        _in.copy_out(_pos, b);
        _pos += sizeof(T);
        U u = 0;
        for (auto byte : b) {
            if constexpr (sizeof(T) > 1) {
                u = static_cast<U>(u << 8U);
            }
            u = static_cast<U>(u | byte);
        }
        return static_cast<T>(u);
    }
    bool get_bool() {
        auto v = get<uint8_t>();
        _failed = _failed || v > 1;
        return v == 1;
    }
    term_id get_term() { return term_id(get<int64_t>()); }
    log_index get_index() { return log_index(get<int64_t>()); }
    base::iobuf share(size_t n) {
        if (_failed || remaining() < n) {
            _failed = true;
            return {};
        }
        auto out = _in.share(_pos, n);
        _pos += n;
        return out;
    }

private:
    const base::iobuf& _in;
    size_t _pos{0};
    bool _failed{false};
};

void put_message(writer& w, const message& m) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, vote_request>) {
                w.put(static_cast<uint8_t>(kind::vote_request));
                w.put(v.term);
                w.put(v.last_index);
                w.put(v.last_term);
                w.put(v.pre_vote);
                w.put(v.transfer);
            } else if constexpr (std::is_same_v<T, vote_reply>) {
                w.put(static_cast<uint8_t>(kind::vote_reply));
                w.put(v.term);
                w.put(v.granted);
                w.put(v.pre_vote);
            } else if constexpr (std::is_same_v<T, append_request>) {
                w.put(static_cast<uint8_t>(kind::append_request));
                w.put(v.term);
                w.put(v.prev_index);
                w.put(v.prev_term);
                w.put(v.commit);
                w.put(static_cast<uint32_t>(v.entries.size()));
                for (const auto& e : v.entries) {
                    w.put(e.term);
                    w.put(static_cast<uint8_t>(e.type));
                    w.put(e.offsets);
                    w.put(static_cast<uint32_t>(e.data.size_bytes()));
                    w.out.append(e.data.share());
                }
            } else if constexpr (std::is_same_v<T, append_reply>) {
                w.put(static_cast<uint8_t>(kind::append_reply));
                w.put(v.term);
                w.put(v.success);
                w.put(v.last_index);
                w.put(v.flushed);
                w.put(v.hint);
            } else {
                w.put(static_cast<uint8_t>(kind::timeout_now));
                w.put(v.term);
            }
        },
        m);
}

std::optional<entry> get_entry(reader& r) {
    entry e;
    e.term = r.get_term();
    auto type = r.get<uint8_t>();
    e.offsets = r.get<int32_t>();
    auto size = r.get<uint32_t>();
    e.data = r.share(size);
    if (r.failed() || type > static_cast<uint8_t>(entry_type::configuration)
        || e.offsets < 1) {
        return std::nullopt;
    }
    e.type = static_cast<entry_type>(type);
    return e;
}

std::optional<message> get_message(reader& r) {
    switch (static_cast<kind>(r.get<uint8_t>())) {
        case kind::vote_request: {
            vote_request v;
            v.term = r.get_term();
            v.last_index = r.get_index();
            v.last_term = r.get_term();
            v.pre_vote = r.get_bool();
            v.transfer = r.get_bool();
            return v;
        }
        case kind::vote_reply: {
            vote_reply v;
            v.term = r.get_term();
            v.granted = r.get_bool();
            v.pre_vote = r.get_bool();
            return v;
        }
        case kind::append_request: {
            append_request v;
            v.term = r.get_term();
            v.prev_index = r.get_index();
            v.prev_term = r.get_term();
            v.commit = r.get_index();
            auto count = r.get<uint32_t>();
            if (r.failed() || count > r.remaining() / entry_fixed_bytes) {
                return std::nullopt;
            }
            for (uint32_t i = 0; i < count; ++i) {
                auto e = get_entry(r);
                if (!e) {
                    return std::nullopt;
                }
                v.entries.push_back(std::move(*e));
            }
            return v;
        }
        case kind::append_reply: {
            append_reply v;
            v.term = r.get_term();
            v.success = r.get_bool();
            v.last_index = r.get_index();
            v.flushed = r.get_index();
            v.hint = r.get_index();
            return v;
        }
        case kind::timeout_now:
            return timeout_now{r.get_term()};
    }
    return std::nullopt;
}

} // namespace

base::iobuf encode_batch(const batch& b) {
    writer w;
    w.put<int32_t>(b.from());
    w.put<int32_t>(b.to());
    w.put(static_cast<uint32_t>(b.messages.size()));
    for (const auto& gm : b.messages) {
        w.put<int64_t>(gm.group());
        put_message(w, gm.msg);
    }
    return std::move(w.out);
}

std::optional<batch> decode_batch(const base::iobuf& bytes) {
    reader r(bytes);
    batch b;
    b.from = node_id(r.get<int32_t>());
    b.to = node_id(r.get<int32_t>());
    auto count = r.get<uint32_t>();
    if (r.failed() || count > r.remaining() / min_message_bytes) {
        return std::nullopt;
    }
    for (uint32_t i = 0; i < count; ++i) {
        auto group = group_id(r.get<int64_t>());
        auto m = get_message(r);
        if (!m || r.failed()) {
            return std::nullopt;
        }
        b.messages.push_back(group_message{group, std::move(*m)});
    }
    if (r.remaining() != 0) {
        return std::nullopt;
    }
    return b;
}

} // namespace raft
