#include "rpc/client.h"
#include "rpc/frame.h"
#include "rpc/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "runtime/tests/waits.h"

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using runtime::testing::sleep_for;

constexpr uint16_t echo = 1;
constexpr uint16_t slow = 2;
constexpr uint16_t failing = 3;

// Runs `body` on a fresh reactor with a server listening on a free port.
class rpc_fixture : public ::testing::Test {
protected:
    void run(std::function<runtime::awaitable<void>(uint16_t port)> body,
             rpc::server_config config = {}) {
        rpc::server srv(io.get_executor(), config);
        srv.register_method(echo, [](base::iobuf in) -> runtime::awaitable<base::iobuf> {
            co_return in;
        });
        srv.register_method(slow,
                            [this](base::iobuf in) -> runtime::awaitable<base::iobuf> {
                                ++running;
                                max_running = std::max(max_running, running);
                                co_await sleep_for(50ms);
                                --running;
                                co_return in;
                            });
        srv.register_method(failing, [](base::iobuf) -> runtime::awaitable<base::iobuf> {
            throw std::runtime_error("boom");
            co_return base::iobuf{};
        });
        auto port = srv.listen("127.0.0.1", 0);
        std::exception_ptr failure;
        bool finished = false;
        boost::asio::co_spawn(
            io,
            [&]() -> runtime::awaitable<void> {
                co_await body(port);
                co_await srv.stop();
                finished = true;
            },
            [&](std::exception_ptr e) { failure = e; });
        io.run_for(20s);
        if (failure) {
            std::rethrow_exception(failure);
        }
        // A body that hung (a call that never returned) fails here.
        ASSERT_TRUE(finished);
    }

    boost::asio::io_context io;
    int running{0};
    int max_running{0};
};

std::string text(const rpc::call_result& r) {
    return r ? r.value().to_string() : std::string(rpc::to_string(r.error_value().code));
}

} // namespace

TEST_F(rpc_fixture, calls_are_answered_and_pipelined_on_one_connection) {
    run([this](uint16_t port) -> runtime::awaitable<void> {
        rpc::client c(io.get_executor(), "127.0.0.1", port);
        auto one = co_await c.call(echo, base::iobuf::copy_of("ping"), 1s);
        EXPECT_EQ(text(one), "ping");
        // Ten slow calls at once finish in about the time of one.
        auto started = std::chrono::steady_clock::now();
        std::vector<std::string> answers(10);
        int done = 0;
        for (int i = 0; i < 10; ++i) {
            boost::asio::co_spawn(
                io,
                [&, i]() -> runtime::awaitable<void> {
                    auto r = co_await c.call(slow,
                                             base::iobuf::copy_of(std::to_string(i)), 2s);
                    answers[static_cast<size_t>(i)] = text(r);
                    ++done;
                },
                boost::asio::detached);
        }
        while (done < 10) {
            co_await sleep_for(5ms);
        }
        for (int i = 0; i < 10; ++i) {
            EXPECT_EQ(answers[static_cast<size_t>(i)], std::to_string(i));
        }
        EXPECT_LT(std::chrono::steady_clock::now() - started, 400ms);
        EXPECT_EQ(max_running, 10);
    });
}

TEST_F(rpc_fixture, unknown_methods_and_failing_handlers_answer_errors) {
    run([this](uint16_t port) -> runtime::awaitable<void> {
        rpc::client c(io.get_executor(), "127.0.0.1", port);
        auto unknown = co_await c.call(99, base::iobuf::copy_of("x"), 1s);
        EXPECT_EQ(text(unknown), "no such method");
        auto failed = co_await c.call(failing, base::iobuf::copy_of("x"), 1s);
        EXPECT_EQ(text(failed), "the handler failed");
        // The connection still serves.
        EXPECT_EQ(text(co_await c.call(echo, base::iobuf::copy_of("ok"), 1s)), "ok");
    });
}

TEST_F(rpc_fixture, a_call_times_out_and_the_connection_serves_the_next) {
    run([this](uint16_t port) -> runtime::awaitable<void> {
        rpc::client c(io.get_executor(), "127.0.0.1", port);
        auto late = co_await c.call(slow, base::iobuf::copy_of("x"), 10ms);
        EXPECT_EQ(text(late), "timed out");
        EXPECT_EQ(c.outstanding(), 0u);
        EXPECT_EQ(text(co_await c.call(echo, base::iobuf::copy_of("next"), 1s)), "next");
    });
}

TEST_F(rpc_fixture, a_connection_beyond_its_bound_waits_for_a_slot) {
    rpc::server_config config;
    config.max_in_flight_per_connection = 2;
    run(
        [this](uint16_t port) -> runtime::awaitable<void> {
            rpc::client c(io.get_executor(), "127.0.0.1", port);
            int done = 0;
            for (int i = 0; i < 6; ++i) {
                boost::asio::co_spawn(
                    io,
                    [&]() -> runtime::awaitable<void> {
                        auto r = co_await c.call(slow, base::iobuf::copy_of("x"), 5s);
                        EXPECT_EQ(text(r), "x");
                        ++done;
                    },
                    boost::asio::detached);
            }
            while (done < 6) {
                co_await sleep_for(5ms);
            }
            EXPECT_EQ(max_running, 2);
        },
        config);
}

TEST_F(rpc_fixture, a_client_over_its_bound_is_refused_at_once) {
    run([this](uint16_t port) -> runtime::awaitable<void> {
        rpc::client_config config;
        config.max_outstanding = 1;
        rpc::client c(io.get_executor(), "127.0.0.1", port, config);
        bool first_done = false;
        boost::asio::co_spawn(
            io,
            [&]() -> runtime::awaitable<void> {
                auto r = co_await c.call(slow, base::iobuf::copy_of("x"), 2s);
                EXPECT_EQ(text(r), "x");
                first_done = true;
            },
            boost::asio::detached);
        co_await sleep_for(10ms);
        EXPECT_EQ(text(co_await c.call(echo, base::iobuf::copy_of("y"), 1s)),
                  "too many calls in flight");
        while (!first_done) {
            co_await sleep_for(5ms);
        }
    });
}

// Sends raw bytes on a new connection; the error reading after them (eof
// when the server hung up).
runtime::awaitable<boost::system::error_code> send_raw(uint16_t port,
                                                       std::vector<uint8_t> bytes) {
    using boost::asio::ip::tcp;
    tcp::socket s(co_await boost::asio::this_coro::executor);
    co_await s.async_connect({boost::asio::ip::make_address("127.0.0.1"), port},
                             boost::asio::use_awaitable);
    co_await boost::asio::async_write(s, boost::asio::buffer(bytes),
                                      boost::asio::use_awaitable);
    char byte = 0;
    boost::system::error_code ec;
    co_await boost::asio::async_read(
        s, boost::asio::buffer(&byte, 1),
        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return ec;
}

TEST_F(rpc_fixture, a_peer_sending_garbage_is_disconnected_and_others_are_served) {
    run([this](uint16_t port) -> runtime::awaitable<void> {
        std::string http("GET / HTTP/1.1\r\n\r\n\0\0\0\0\0\0", 24);
        // A frame whose payload does not match its crc.
        auto corrupt =
            rpc::make_frame(rpc::header{.method = echo}, base::iobuf::copy_of("abc"))
                .to_vector();
        corrupt.back() ^= 0x01;
        for (auto bytes : {std::vector<uint8_t>(http.begin(), http.end()),
                           std::vector<uint8_t>(24, 0xff), corrupt}) {
            auto ec = co_await send_raw(port, bytes);
            EXPECT_EQ(ec, boost::asio::error::eof); // closed by the server
        }
        rpc::client c(io.get_executor(), "127.0.0.1", port);
        EXPECT_EQ(text(co_await c.call(echo, base::iobuf::copy_of("fine"), 1s)), "fine");
    });
}

TEST_F(rpc_fixture, a_client_reconnects_after_its_peer_restarts) {
    boost::asio::io_context& ctx = io;
    std::exception_ptr failure;
    bool finished = false;
    rpc::server first(ctx.get_executor(), {});
    first.register_method(
        echo, [](base::iobuf in) -> runtime::awaitable<base::iobuf> { co_return in; });
    auto port = first.listen("127.0.0.1", 0);
    rpc::client c(ctx.get_executor(), "127.0.0.1", port);
    boost::asio::co_spawn(
        ctx,
        [&]() -> runtime::awaitable<void> {
            EXPECT_EQ(text(co_await c.call(echo, base::iobuf::copy_of("a"), 1s)), "a");
            co_await first.stop();
            // The peer is gone: calls fail (not hang) until it is back.
            auto gone = co_await c.call(echo, base::iobuf::copy_of("b"), 300ms);
            EXPECT_FALSE(gone.has_value());
            rpc::server second(ctx.get_executor(), {});
            second.register_method(
                echo,
                [](base::iobuf in) -> runtime::awaitable<base::iobuf> { co_return in; });
            second.listen("127.0.0.1", port);
            EXPECT_EQ(text(co_await c.call(echo, base::iobuf::copy_of("c"), 1s)), "c");
            c.close();
            co_await second.stop();
            finished = true;
        },
        [&](std::exception_ptr e) { failure = e; });
    ctx.run_for(20s);
    if (failure) {
        std::rethrow_exception(failure);
    }
    ASSERT_TRUE(finished);
}
