#pragma once

#include <chrono>

#include "harness/common/duration.h"
#include "harness/common/errors.h"

// The service-level objectives a config is validated against (`lbchaos validate`), from the
// topology's `[slo]` table. The defaults are what a web tier would accept; each is printed in
// the validation report next to what was measured.
namespace lbchaos::topology {

struct Slo {
  double availability = 0.99;  // successful requests in every phase (a phase holds one failure)
  Duration p99_latency = std::chrono::milliseconds(500);  // steady state and peak
  Duration detection = std::chrono::seconds(10);    // a dead server marked DOWN within
  Duration failover = std::chrono::seconds(10);     // a dead server out of traffic, errors over
  Duration recovery = std::chrono::seconds(10);     // a healed server serving again within
  double distribution = 0.10;                       // max |share - capacity share| per server
  double rate = 100;                                // steady requests/s the tier sees
  double peak_rate = 200;                           // busiest requests/s the tier must absorb
  int clients = 64;                                 // distinct client addresses in front of the LB
  // Service time of a server that the topology does not describe (the built-in backend's
  // latency) and how many requests it serves at once: the capacity behind Little's law.
  Duration service_time = std::chrono::milliseconds(20);
  int server_concurrency = 2;
  // Unset (no `server_concurrency` in [slo]): validate raises it for a backend with fewer servers,
  // so that its active servers together absorb the peak with half again to spare. A config
  // alone (no topology) is judged on what it says, not on a capacity lbchaos made up.
  bool server_concurrency_set = false;
  SourcePosition where;
};

}  // namespace lbchaos::topology
