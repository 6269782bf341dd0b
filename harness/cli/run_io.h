#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

namespace lbchaos::cli {

// Runs `main` to completion on `io`, the run's one thread. Returns false (after logging it as an
// internal error) when an exception escaped `main`: the caller exits with code 3.
[[nodiscard]] bool run_io(boost::asio::io_context& io, boost::asio::awaitable<void> main);

}  // namespace lbchaos::cli
