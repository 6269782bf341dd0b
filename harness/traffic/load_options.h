#pragma once

#include <string>
#include <vector>

#include "harness/common/duration.h"
#include "harness/topology/endpoints.h"

namespace lbchaos::traffic {

struct LoadOptions {
  double rate = 0;                          // requests/s, open loop (a sizing hint in closed loop)
  Duration duration{};                      // how long new requests are issued
  int clients = 1;                          // distinct client addresses 127.0.0.2, 127.0.0.3, ...
  int max_connections = 1000;               // keep-alive pool cap; beyond it requests are dropped
  Duration timeout{};                       // per request, connect included
  std::vector<std::string> paths;           // round-robin; empty means "/"
  std::vector<topology::Endpoint> targets;  // one per haproxy instance, round-robin
  bool closed_loop = false;                 // as fast as possible: calibration and benchmarks only
  int closed_loop_concurrency = 64;         // closed-loop workers (at most max_connections)
};

}  // namespace lbchaos::traffic
