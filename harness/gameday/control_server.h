#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "harness/gameday/control_protocol.h"

// The listening side of the control protocol: a unix socket (mode 0600) in the run directory;
// one coroutine per connection reads one request, asks the handler, writes one response.
namespace lbchaos::gameday {

class ControlServer {
 public:
  using Handler =
      std::function<boost::asio::awaitable<ControlResponse>(ControlRequest, Actor)>;

  // Binds and listens at once; throws EnvironmentError when it cannot.
  ControlServer(boost::asio::io_context& io, std::filesystem::path socket_path, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  void start();
  // No new connection is accepted; the socket file is removed.
  void close();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::local::stream_protocol::socket socket);
  boost::asio::awaitable<ControlResponse> answer(std::string line, Actor actor);

  boost::asio::io_context& io_;
  std::filesystem::path path_;
  Handler handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::shared_ptr<bool> closed_ = std::make_shared<bool>(false);
};

// The peer of a connected unix socket (SO_PEERCRED), its user name from the password database.
[[nodiscard]] Actor peer_actor(int socket_fd);

}  // namespace lbchaos::gameday
