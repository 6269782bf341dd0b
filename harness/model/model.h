#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
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

// What a `target` may name; a fault action or a probe accepts one or several kinds.
enum TargetKind : unsigned {
  kServer = 1,    // "app/web1"
  kInstance = 2,  // "lb0": an haproxy instance
  kBackend = 4,   // "app": every server of that backend
};

// One parameter of a fault, of the type its action declares in the fault catalogue (faults/):
// a flag, a count, a ratio or rate, a duration, a choice or weight, or a list of names.
using ParamValue =
    std::variant<bool, std::int64_t, double, Duration, std::string, std::vector<std::string>>;

struct FaultSpec {
  Duration at = 0s;                   // from the start of traffic
  std::string action;                 // an action of the fault catalogue (faults/catalogue.h)
  std::string target;                 // "app/web1" (a server) or "lb0" (an haproxy instance)
  std::optional<Duration> heal_after; // heal (undo) this long after injection; none = at the end
  // The action's parameters, checked against its declaration, defaults filled in: only keys the
  // action declares, each of the type it declares (faults/ reads them into its own structs).
  std::map<std::string, ParamValue, std::less<>> params;
  SourcePosition where;

  // The parameter `key` when it is set and of type T; nullopt otherwise.
  template <typename T>
  [[nodiscard]] std::optional<T> param(std::string_view key) const {
    const auto found = params.find(key);
    if (found == params.end()) return std::nullopt;
    if (const T* value = std::get_if<T>(&found->second)) return *value;
    return std::nullopt;
  }
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
