#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <string>

namespace lbchaos::observe {

// One non-interactive command on a haproxy CLI socket (admin stats socket or master CLI):
// connect, send the command, half-close (haproxy 2.6's master CLI answers only after the
// client's shutdown(SHUT_WR)), read to EOF. Throws std::runtime_error naming the socket and
// command on connect failure or timeout.
boost::asio::awaitable<std::string> cli_request(const std::filesystem::path& socket,
                                                const std::string& command,
                                                std::chrono::milliseconds timeout =
                                                    std::chrono::milliseconds(2000));

}  // namespace lbchaos::observe
