#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "harness/topology/endpoints.h"

// A one-shot HTTP/1.1 client for the harness's own observations (metrics scrapes, blackbox
// checks, Prometheus's API). Not for load: the traffic generator has its own connection pool.
namespace lbchaos::observe {

struct HttpResponse {
  bool ok = false;        // an HTTP response arrived in time (any status)
  int status = 0;
  std::string body;
  std::string error;      // why not ok: "connection refused", "timed out after 1s", ...
};

// GET (empty body) or POST (non-empty body) `target` on `endpoint`, "Connection: close".
// Never throws for network failures: they come back as ok = false with the reason.
boost::asio::awaitable<HttpResponse> http_request(const topology::Endpoint& endpoint,
                                                  std::string_view target,
                                                  std::chrono::milliseconds timeout,
                                                  std::string_view body = {},
                                                  std::string_view content_type = "application/json");

}  // namespace lbchaos::observe
