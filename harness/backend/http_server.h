#pragma once

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "harness/backend/service_model.h"

// The built-in backend's HTTP/1.1 side (keep-alive, HTTP/1.0 and Connection: close honoured).
// Every response carries `X-Lbchaos-Server: <name>` and a short text body. The health path
// answers from ServiceModel::health_status() without service time or concurrency limit; every
// other path goes through ServiceModel::serve(). A hung backend answers nothing, health included.
// This is the only translation unit that includes Boost.Beast (see notes/cpp-style.md).
namespace lbchaos::backend {

class HttpServer {
 public:
  // Binds and listens at once, with SO_REUSEADDR and SO_REUSEPORT set before bind (the harness
  // keeps a bound, non-listening reservation socket on the port) and CLOEXEC. Throws
  // EnvironmentError when the address cannot be bound.
  HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
             ServiceModel& model, std::string name, std::string health_path);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting; connections are served by coroutines on the io_context, which must not
  // outlive this object while running.
  void start();

  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  ServiceModel& model_;
  std::string name_;
  std::string health_path_;
  std::string body_;  // "<name>\n"
};

}  // namespace lbchaos::backend
