#include "harness/backend/control_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <string>

#include "harness/common/errors.h"

namespace lbchaos::backend {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::local::stream_protocol;

constexpr std::size_t kMaxLineBytes = 4096;

// A socket file nobody listens on is left over from a dead backend; a live one is not ours.
void remove_stale_socket(asio::io_context& io, const fs::path& path) {
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (ec || !fs::exists(status)) return;
  if (!fs::is_socket(status)) {
    throw EnvironmentError(fmt::format(
        "control socket {}: refusing to replace a file that is not a socket", path.string()));
  }
  stream_protocol::socket probe(io);
  boost::system::error_code connect_error;
  probe.connect(stream_protocol::endpoint(path.string()), connect_error);
  if (!connect_error) {
    throw EnvironmentError(fmt::format(
        "control socket {}: another process is listening on it", path.string()));
  }
  fs::remove(path, ec);
}

// Mutating commands are logged: the node log then tells what the backend was asked to do.
bool is_worth_logging(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  return first != std::string_view::npos && (line.substr(first).starts_with("set") ||
                                             line.substr(first).starts_with("reset"));
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, fs::path path, BackendState& state,
                             ServiceModel& model)
    : path_(std::move(path)), acceptor_(io), state_(state), model_(model) {
  try {
    remove_stale_socket(io, path_);
    acceptor_.open();
    ::fcntl(acceptor_.native_handle(), F_SETFD, FD_CLOEXEC);
    // Created private (umask) and chmod'ed anyway, so the mode never depends on the umask.
    const mode_t old_mask = ::umask(0177);
    boost::system::error_code bind_error;
    acceptor_.bind(stream_protocol::endpoint(path_.string()), bind_error);
    ::umask(old_mask);
    if (bind_error) throw boost::system::system_error(bind_error, "bind");
    if (::chmod(path_.c_str(), 0600) != 0) {
      throw boost::system::system_error(errno, boost::system::system_category(), "chmod");
    }
    acceptor_.listen();
  } catch (const boost::system::system_error& e) {
    throw EnvironmentError(fmt::format("control socket {}: {}", path_.string(), e.what()));
  }
}

ControlServer::~ControlServer() {
  std::error_code ignored;
  fs::remove(path_, ignored);
}

void ControlServer::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

asio::awaitable<void> ControlServer::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("backend {}: control accept failed: {}", state_.name, ec.message());
      continue;
    }
    ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
    asio::co_spawn(acceptor_.get_executor(), session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ControlServer::session(stream_protocol::socket socket) {
  std::string input;
  boost::system::error_code ec;
  for (;;) {
    const std::size_t n = co_await asio::async_read_until(
        socket, asio::dynamic_buffer(input, kMaxLineBytes), '\n',
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // closed, or a line longer than kMaxLineBytes
    const std::string_view line(input.data(), n - 1);
    std::string reply = apply_control_command(state_, line);
    model_.behaviour_changed();
    if (is_worth_logging(line)) spdlog::info("backend {}: control '{}' -> {}", state_.name, line, reply);
    input.erase(0, n);
    reply += '\n';
    co_await asio::async_write(socket, asio::buffer(reply),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
}

}  // namespace lbchaos::backend
