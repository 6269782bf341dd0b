#pragma once

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>

#include "harness/backend/behaviour.h"
#include "harness/backend/service_model.h"

// The built-in backend's private control socket: a Unix stream socket (mode 0600) speaking the
// line protocol of apply_control_command(): one command per line, one reply line per command,
// as many commands per connection as the client likes.
namespace lbchaos::backend {

class ControlServer {
 public:
  // Removes a stale socket at `path` (refuses to replace anything that is not a socket), binds,
  // restricts the file to mode 0600 and listens. Throws EnvironmentError on failure.
  ControlServer(boost::asio::io_context& io, std::filesystem::path path, BackendState& state,
                ServiceModel& model);
  // Removes the socket file.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  void start();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::local::stream_protocol::socket socket);

  std::filesystem::path path_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  BackendState& state_;
  ServiceModel& model_;
};

}  // namespace lbchaos::backend
