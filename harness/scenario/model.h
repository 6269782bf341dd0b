#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "harness/topology/model.h"

// A scenario file (DESIGN.md "Scenario"): traffic + a schedule of faults + expectations against
// one topology. Loaded by scenario/loader.h; everything here has already been validated.
namespace lbchaos::scenario {

using namespace std::chrono_literals;

struct TrafficSpec {
  double rate = 200;           // requests/s, open loop, constant arrival
  Duration duration = 20s;
  Duration warmup = 2s;        // excluded from the "steady" window
  int clients = 16;            // distinct client source addresses in 127.0.0.0/8
  int max_connections = 256;   // keep-alive pool cap; a request with no free connection is dropped
  Duration timeout = 5s;       // per request
  std::vector<std::string> paths{"/"};
  std::string frontend;        // empty: the first frontend
  SourcePosition where;
};

struct FaultSpec {
  Duration at = 0s;                   // from the start of traffic
  std::string action;                 // DESIGN.md fault catalogue: kill, restart, ...
  std::string target;                 // "app/web1" (a server) or "lb0" (an haproxy instance)
  std::optional<Duration> heal_after; // heal (undo) this long after injection; none = at the end
  SourcePosition where;
};

// Which part of the run a probe looks at.
enum class Window {
  kAll,       // the whole traffic period
  kSteady,    // after warmup
  kFault,     // from the first injection to the last heal (or the end)
  kRecovery,  // from the last heal to the end
};

struct Expectation {
  std::string probe;                  // availability, latency, error_count, failover_time, ...
  Window during = Window::kAll;
  std::string target;                 // probes about one server / instance ("app/web1")
  std::optional<double> at_least;     // ratios are 0..1; durations are seconds
  std::optional<double> at_most;
  double percentile = 99;             // latency: 50, 90, 99, 99.9
  int min_samples = 100;              // distribution: below this, the probe cannot judge
  SourcePosition where;
};

struct Scenario {
  std::string name;
  std::string description;            // free text for reports; may be empty
  std::filesystem::path file;         // absolute path of the scenario file
  topology::Topology topology;        // loaded from the scenario's `topology` path
  std::uint64_t seed = 1;
  TrafficSpec traffic;
  std::vector<FaultSpec> faults;
  std::vector<Expectation> expectations;
};

[[nodiscard]] std::string to_string(Window window);

}  // namespace lbchaos::scenario
