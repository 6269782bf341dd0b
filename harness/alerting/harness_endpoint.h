#pragma once

// clang-format off
#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "harness/topology/endpoints.h"

// The harness's own HTTP endpoint for the prometheus engine, on 127.0.0.1 and an ephemeral port:
//   GET  /metrics       the harness's blackbox metrics, scraped by Prometheus (job "lbchaos");
//   POST /alertmanager  Alertmanager's webhook notifications.
// This is the engine's only translation unit with a Beast server (see notes/cpp-style.md).
namespace lbchaos::alerting {

class HarnessEndpoint {
 public:
  struct Handlers {
    std::function<std::string()> metrics;  // Prometheus text format
    // Called on arrival with the request body; an exception answers 400 with its message.
    std::function<void(std::string_view body)> notification;
  };

  // Binds and listens at once. Throws EnvironmentError.
  HarnessEndpoint(boost::asio::io_context& io, Handlers handlers);
  ~HarnessEndpoint();
  HarnessEndpoint(const HarnessEndpoint&) = delete;
  HarnessEndpoint& operator=(const HarnessEndpoint&) = delete;

  // Serves connections with coroutines on the io_context until close().
  void start();
  // Stops accepting and closes every open connection; no handler is called afterwards.
  void close();

  [[nodiscard]] const topology::Endpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] std::string url(std::string_view path) const {
    return "http://" + endpoint_.to_string() + std::string(path);
  }

  struct State;  // defined in the .cc, shared with the connection coroutines

 private:
  std::shared_ptr<State> state_;  // shared with the connection coroutines
  topology::Endpoint endpoint_;
};

}  // namespace lbchaos::alerting
