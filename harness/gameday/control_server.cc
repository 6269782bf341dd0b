#include "harness/gameday/control_server.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"

namespace lbchaos::gameday {

namespace asio = boost::asio;
using Stream = asio::local::stream_protocol;

namespace {

Stream::acceptor listen_at(asio::io_context& io, const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  Stream::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(Stream(), ec);
  if (!ec) acceptor.bind(Stream::endpoint(path.string()), ec);
  // The run directory is 0700 already; the socket is private on its own too.
  if (!ec && ::chmod(path.c_str(), 0600) != 0) {
    ec = boost::system::error_code(errno, boost::system::system_category());
  }
  if (!ec) acceptor.listen(16, ec);
  if (ec) {
    throw EnvironmentError(
        fmt::format("cannot listen on control socket {}: {}", path.string(), ec.message()));
  }
  return acceptor;
}

}  // namespace

Actor peer_actor(int socket_fd) {
  Actor actor;
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
    actor.user = "unknown";
    return actor;
  }
  actor.uid = credentials.uid;
  actor.pid = credentials.pid;
  std::array<char, 1024> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(credentials.uid, &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr) {
    actor.user = found->pw_name;
  } else {
    actor.user = fmt::format("uid{}", credentials.uid);
  }
  return actor;
}

ControlServer::ControlServer(asio::io_context& io, std::filesystem::path socket_path,
                             Handler handler)
    : io_(io),
      path_(std::move(socket_path)),
      handler_(std::move(handler)),
      acceptor_(listen_at(io, path_)) {}

ControlServer::~ControlServer() { close(); }

void ControlServer::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

void ControlServer::close() {
  if (*closed_) return;
  *closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  std::error_code also_ignored;
  std::filesystem::remove(path_, also_ignored);
}

asio::awaitable<void> ControlServer::accept_loop() {
  const auto closed = closed_;  // this object may be gone when the last accept returns
  while (!*closed) {
    boost::system::error_code ec;
    Stream::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (*closed) co_return;
    if (ec) {
      spdlog::debug("control socket accept: {}", ec.message());
      continue;
    }
    ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);  // never inherited by a node
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<ControlResponse> ControlServer::answer(std::string line, Actor actor) {
  const Handler handler = handler_;  // a copy: the server may be closed while this runs
  ControlRequest request;
  try {
    request = decode_request(line);
  } catch (const std::invalid_argument& e) {
    co_return error_response(kExitBadInput, fmt::format("bad request: {}", e.what()));
  }
  co_return co_await handler(std::move(request), std::move(actor));
}

asio::awaitable<void> ControlServer::serve(Stream::socket socket) {
  const Actor actor = peer_actor(socket.native_handle());
  std::string input;
  boost::system::error_code ec;
  const std::size_t n = co_await asio::async_read_until(
      socket, asio::dynamic_buffer(input, kMaxLineBytes), '\n',
      asio::redirect_error(asio::use_awaitable, ec));
  // No co_await inside ?: — GCC 12 destroys such temporaries twice.
  ControlResponse response;
  if (ec) {
    response = error_response(kExitBadInput, "no request line: " + ec.message());
  } else {
    response = co_await answer(input.substr(0, n - 1), actor);
  }
  const std::string out = encode(response);
  co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
  socket.close(ec);
}

}  // namespace lbchaos::gameday
