#include "harness/backend/control_client.h"

#include <fmt/format.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <stdexcept>

namespace lbchaos::backend {
namespace {

namespace asio = boost::asio;
using asio::local::stream_protocol;

constexpr std::size_t kMaxReplyBytes = 64 * 1024;

}  // namespace

asio::awaitable<std::string> control_request(std::filesystem::path socket_path,
                                             std::string command,
                                             std::chrono::milliseconds timeout) {
  if (command.find('\n') != std::string::npos) {
    throw std::runtime_error(
        fmt::format("control socket {}: a command is one line, got '{}'", socket_path.string(), command));
  }
  const auto executor = co_await asio::this_coro::executor;
  // Shared with the timeout handler, which may run after this coroutine has returned.
  auto socket = std::make_shared<stream_protocol::socket>(executor);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor, timeout);
  timer.async_wait([socket, timed_out](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the exchange finished first
    *timed_out = true;
    boost::system::error_code ignored;
    socket->close(ignored);
  });

  const auto failure = [&](std::string_view step, const boost::system::error_code& ec) {
    if (*timed_out) {
      return std::runtime_error(fmt::format("control socket {}: no reply to '{}' within {}ms",
                                            socket_path.string(), command, timeout.count()));
    }
    const auto reason = ec == asio::error::eof ? std::string("closed without replying") : ec.message();
    return std::runtime_error(fmt::format("control socket {}: {} failed for '{}': {}",
                                          socket_path.string(), step, command, reason));
  };

  boost::system::error_code ec;
  stream_protocol::endpoint endpoint;
  try {
    endpoint = stream_protocol::endpoint(socket_path.string());
  } catch (const boost::system::system_error& e) {  // e.g. a path too long for sun_path
    throw failure("connect", e.code());
  }
  co_await socket->async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw failure("connect", ec);

  const std::string line = command + '\n';
  co_await asio::async_write(*socket, asio::buffer(line),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw failure("send", ec);

  std::string input;
  const std::size_t n = co_await asio::async_read_until(
      *socket, asio::dynamic_buffer(input, kMaxReplyBytes), '\n',
      asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw failure("read", ec);
  timer.cancel();
  input.resize(n - 1);
  if (!input.empty() && input.back() == '\r') input.pop_back();
  co_return input;
}

bool is_error_reply(std::string_view reply) { return reply.starts_with("error:"); }

}  // namespace lbchaos::backend
