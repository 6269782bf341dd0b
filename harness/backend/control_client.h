#pragma once

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

// The harness side of a built-in backend's control socket (see behaviour.h for the commands).
namespace lbchaos::backend {

// Connects to `socket`, sends `command` as one line and returns the reply line (without the
// newline). A reply of "error: ..." is returned, not thrown: it is the backend's answer.
// Throws std::runtime_error naming the socket and the command when the connection fails, the
// backend closes it without replying, or no reply arrives within `timeout`.
// Parameters are taken by value: a coroutine must not keep references to its caller's
// temporaries.
boost::asio::awaitable<std::string> control_request(std::filesystem::path socket,
                                                    std::string command,
                                                    std::chrono::milliseconds timeout);

// True for "error: ..." replies.
[[nodiscard]] bool is_error_reply(std::string_view reply);

}  // namespace lbchaos::backend
