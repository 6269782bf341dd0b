#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/duration.h"
#include "harness/topology/endpoints.h"
#include "harness/traffic/request_mix.h"

namespace lbchaos::traffic {

enum class Protocol : std::uint8_t {
  kHttp,  // HTTP/1.1 requests from the mix
  kTcp,   // a line (`tcp_send`) per request on a TCP connection, and its answer
};

struct LoadOptions {
  double rate = 0;                          // requests/s, open loop (a sizing hint in closed loop)
  Duration duration{};                      // how long new requests are issued
  int clients = 1;                          // distinct client addresses 127.0.0.2, 127.0.0.3, ...
  int max_connections = 1000;               // keep-alive pool cap; beyond it requests are dropped
  Duration timeout{};                       // per request, connect included
  std::vector<std::string> paths;           // round-robin GETs; used when `requests` is empty
  std::vector<RequestTemplate> requests;    // the request mix, drawn by weight from `seed`
  std::uint64_t seed = 1;
  Protocol protocol = Protocol::kHttp;
  std::string tcp_send = "PING\r\n";       // tcp: written per request
  std::string tcp_expect;                   // tcp: the answer ends here; empty: at a newline
  std::vector<topology::Endpoint> targets;  // one per haproxy instance, round-robin
  bool closed_loop = false;                 // as fast as possible: calibration and benchmarks only
  int closed_loop_concurrency = 64;         // closed-loop workers (at most max_connections)
};

}  // namespace lbchaos::traffic
