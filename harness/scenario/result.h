#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/probes/probe.h"
#include "harness/model/model.h"
#include "harness/model/run_events.h"
#include "harness/scenario/route_coverage.h"

namespace lbchaos::scenario {

// What running one scenario produced: the verdicts, the recording they were computed from, and
// what is needed to reproduce it (seed, haproxy version, hashes of every config used).
struct ScenarioResult {
  enum class Outcome { kPassed, kFailed, kError, kInterrupted };

  const Scenario* scenario = nullptr;
  Outcome outcome = Outcome::kError;
  int error_exit_code = 0;  // for kError: 2 (invalid input) or 3 (environment)
  std::string error;        // why it could not run
  std::uint64_t seed = 0;
  std::string haproxy_version;
  std::map<std::string, std::string> config_sha256;  // path -> sha256 of every config used
  std::string abort_reason;  // set when an `abort = true` expectation stopped the run early
  std::int64_t abort_ns = 0;  // when, on the run's clock
  // The schedule as planned: the scenario's faults with every `random` fault replaced by the
  // faults it drew (faults/random.h), so a replay can be compared exactly.
  std::vector<FaultSpec> fault_plan;
  std::vector<probes::ProbeResult> probes;
  RunRecording recording;
  RouteCoverage coverage;  // which backends and servers the traffic reached
  double wall_seconds = 0;

  // Seconds from the start of traffic to the abort (0 when the run was not aborted).
  [[nodiscard]] double abort_at_s() const;
  [[nodiscard]] int passed() const;
  [[nodiscard]] int failed() const;
  [[nodiscard]] int errors() const;
};

[[nodiscard]] std::string to_string(ScenarioResult::Outcome outcome);

// 0 all passed, 1 a probe failed, 2/3 a scenario could not run (DESIGN.md exit codes).
[[nodiscard]] int exit_code_for(const std::vector<ScenarioResult>& results);

}  // namespace lbchaos::scenario
