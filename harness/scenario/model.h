#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "harness/observe/metric_sample.h"
#include "harness/topology/model.h"
#include "harness/traffic/load_options.h"

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
  // What the requests look like (scenario/traffic_loader.h): [[traffic.request]] entries, one
  // per path (empty: a GET of each of `paths` in turn), or TCP lines.
  std::vector<traffic::RequestTemplate> requests;
  traffic::Protocol protocol = traffic::Protocol::kHttp;
  std::string send = "PING\r\n";  // tcp: written per request
  std::string expect;              // tcp: the answer ends with it; empty: at a newline
  SourcePosition where;
};

// Parameters of the fault families; each action reads only its own (the loader rejects the
// others with a positioned error).
struct FaultParams {
  // set_weight: "50%" (of the server's initial weight, as haproxy applies it) or "10" (absolute).
  std::string weight;
  // config_corrupt: what to break and how to apply it.
  std::string mode;             // syntax_error_new_server, unknown_keyword, truncated,
                                // checks_removed, all_weights_but_one_zero, wrong_server_port
  std::string apply = "reload"; // reload (master CLI; old worker must keep serving) | restart
  // network (fault proxy between haproxy and the server):
  std::optional<Duration> latency;   // latency: added per direction
  std::optional<Duration> jitter;    // latency: +- uniform
  std::optional<double> bandwidth;   // bandwidth: bytes per second
  std::string direction = "both";    // up (to the server) | down (to haproxy) | both
  double toxicity = 1.0;             // probability a connection is affected
  std::optional<std::int64_t> slice_bytes;  // slice: bytes per write
  // backend behaviour (built-in backend control socket):
  std::optional<double> ratio;       // errors: share of requests answered with `status`
  int status = 500;                  // errors
  std::optional<Duration> delay;     // slow: added latency; slow_close: how long a close waits
  std::optional<int> max_inflight;   // overload: new concurrency limit
  bool crash = false;                // overload: exit when overloaded
  // random: a seeded schedule (Jepsen's nemesis) drawn from these
  std::vector<std::string> actions;
  std::vector<std::string> targets;
  std::optional<Duration> min_gap;       // between two random faults
  std::optional<Duration> min_duration;  // of each random fault
  std::optional<Duration> max_duration;
};

struct FaultSpec {
  Duration at = 0s;                   // from the start of traffic
  std::string action;                 // DESIGN.md fault catalogue: kill, restart, ...
  std::string target;                 // "app/web1" (a server) or "lb0" (an haproxy instance)
  std::optional<Duration> heal_after; // heal (undo) this long after injection; none = at the end
  FaultParams params;
  SourcePosition where;
};

// Which part of the run a probe looks at.
enum class Window {
  kAll,       // the whole traffic period
  kSteady,    // after warmup
  kFault,     // from the first injection to the last heal (or the end)
  kRecovery,  // from the last heal to the end
};

// What an `alert` expectation demands of one rule (or, for kSilent without a rule, of every rule).
struct AlertCheck {
  enum class Kind {
    kFiresWithin,      // fault injected -> the rule firing
    kResolvesWithin,   // fault healed -> no instance of the rule firing any more
    kSilent,           // no instance firing at any time in the window (the false-positive check)
    kDeliveredWithin,  // fault injected -> Alertmanager's notification at the harness webhook
  };
  Kind kind = Kind::kSilent;
  std::string rule;          // alertname; empty only for kSilent (= any rule)
  observe::Labels labels;    // an alert instance counts only if it carries all of these
  Duration within = 0s;      // the bound, for every kind but kSilent
};

struct Expectation {
  std::string probe;                  // availability, latency, error_count, failover_time, ...
  Window during = Window::kAll;
  std::string target;                 // probes about one server / instance ("app/web1")
  std::optional<double> at_least;     // ratios are 0..1; durations are seconds
  std::optional<double> at_most;
  double percentile = 99;             // latency: 50, 90, 99, 99.9
  int min_samples = 100;              // distribution: below this, the probe cannot judge
  std::optional<AlertCheck> alert;    // probe alert only
  bool abort = false;                 // stop the run once this can no longer pass
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
