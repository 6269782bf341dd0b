#pragma once

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "harness/backend/service_model.h"

// The built-in backend's HTTP/1.1 side (keep-alive, HTTP/1.0 and Connection: close honoured).
// Every response carries `X-Lbchaos-Server: <name>` and a short text body. The health path
// answers from ServiceModel::health_status() without service time or concurrency limit; every
// other path goes through ServiceModel::serve(). A hung backend answers nothing, health included.
// This is the only translation unit that includes Boost.Beast (see notes/cpp-style.md).
//
// The per-request path is kept free of allocations (it is benchmarked against nginx): Beast's
// parser is used without a message object (nothing of the request is stored but its method,
// version, health-path match and keep-alive), answers are byte strings formatted once per
// (status, version, keep-alive, HEAD, body) and cached, and they are written with one
// non-blocking send, falling back to an asynchronous write only when the socket is full.
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

  // What the health path answers while healthy (default 200 "ok"): the status and body the
  // user config's health checks expect (`http-check expect status 204`, `string pong`).
  void set_health_answer(unsigned status, std::string body);

  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket);

  struct ResponseKey {
    unsigned status;
    unsigned version;
    bool keep_alive;
    bool head;
    std::string_view body;
    bool operator==(const ResponseKey&) const = default;
  };
  struct CachedResponse {
    ResponseKey key;
    std::string bytes;
  };
  // The answer's bytes: from the cache, or formatted into `scratch` once the cache is full
  // (entries are never evicted, so a returned view stays valid across co_await).
  std::string_view response_bytes(const ResponseKey& key, std::string& scratch);

  boost::asio::ip::tcp::acceptor acceptor_;
  ServiceModel& model_;
  std::string name_;
  std::string health_path_;
  std::string body_;  // "<name>\n"
  unsigned health_ok_status_ = 200;
  std::string health_ok_body_ = "ok\n";
  std::vector<CachedResponse> responses_;
};

}  // namespace lbchaos::backend
