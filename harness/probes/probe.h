#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "harness/model/model.h"
#include "harness/model/run_events.h"
#include "harness/topology/model.h"

// Probes (DESIGN.md "Probe catalogue"): a measurement over a window of a recorded run, compared
// with the expectation's threshold. Pure computation over a RunRecording: no I/O, no clock.
namespace lbchaos::probes {

struct ProbeResult {
  // kError: the probe cannot judge (no traffic in the window, too few samples, a target with no
  // fault, an unknown probe...). Reported as an error, never as a pass.
  enum Verdict { kPass, kFail, kError };

  std::string probe;   // "availability", "failover_time", ...
  std::string target;  // as the expectation named it; may be empty
  std::string window;  // "all", "steady", "fault", "recovery"
  double measured = 0;                // NaN when nothing could be measured (kError)
  std::optional<double> threshold;    // ratios 0..1, durations in seconds
  std::string comparison;             // "at_least" / "at_most"; empty without a threshold
  std::string unit;                   // "ratio", "s", "count"
  Verdict verdict = kError;
  std::string detail;                 // one sentence for people
};

[[nodiscard]] std::string_view to_string(ProbeResult::Verdict verdict);  // "pass", "fail", "error"

// Evaluates one expectation, dispatching on its probe name. Never throws for a bad or
// unjudgeable expectation: that is a kError result whose detail says why.
[[nodiscard]] ProbeResult evaluate(const scenario::Expectation& expectation,
                                   const scenario::RunRecording& run,
                                   const topology::Topology& topology);

}  // namespace lbchaos::probes
