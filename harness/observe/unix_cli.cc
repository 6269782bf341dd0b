#include "harness/observe/unix_cli.h"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <memory>
#include <stdexcept>

namespace lbchaos::observe {

namespace asio = boost::asio;

asio::awaitable<std::string> cli_request(const std::filesystem::path& socket,
                                         const std::string& command,
                                         std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto stream = std::make_shared<asio::local::stream_protocol::socket>(executor);
  asio::steady_timer deadline(executor, timeout);
  bool timed_out = false;
  deadline.async_wait([stream, &timed_out](const boost::system::error_code& ec) {
    if (ec) return;
    timed_out = true;
    boost::system::error_code ignored;
    stream->close(ignored);
  });

  boost::system::error_code ec;
  std::string reply;
  co_await stream->async_connect(asio::local::stream_protocol::endpoint(socket.string()),
                                 asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    const std::string line = command + "\n";
    co_await asio::async_write(*stream, asio::buffer(line),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!ec) {
    stream->shutdown(asio::socket_base::shutdown_send, ec);
    auto buffer = asio::dynamic_buffer(reply);
    co_await asio::async_read(*stream, buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) ec = {};
  }
  deadline.cancel();
  if (timed_out) {
    throw std::runtime_error(fmt::format("'{}' on {} timed out after {} ms", command,
                                         socket.string(), timeout.count()));
  }
  if (ec) {
    throw std::runtime_error(
        fmt::format("'{}' on {} failed: {}", command, socket.string(), ec.message()));
  }
  co_return reply;
}

}  // namespace lbchaos::observe
