#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/probes/detection_prediction.h"
#include "harness/probes/probe.h"
#include "harness/model/model.h"
#include "harness/scenario/result.h"
#include "harness/topology/slo.h"
#include "harness/validate/haproxy_config.h"

// Stage 3 of `lbchaos validate`: the generated suite. Two runs on the real haproxy, each one
// deployment and one stretch of traffic with short phases back to back:
//  - "resilience" at the steady rate: steady state (availability, distribution against
//    capacity, p99), then each server of the backend the traffic reaches killed in turn
//    (detection within the prediction and the SLO, failover, availability, recovery), a
//    health-only failure, and a graceful reload of the same config (no failed request);
//  - "peak" at the peak rate: availability and p99.
// Each phase is judged by the catalogue's probes over its own slice of the recording.
namespace lbchaos::validate {

struct Phase {
  enum class Kind { kSteady, kKill, kHealthFail, kReload, kPeak };
  Kind kind = Kind::kSteady;
  std::string name;    // "steady", "kill app/web1", "reload", ...
  std::string target;  // the server (kill, health_fail), "" otherwise
  std::vector<scenario::Expectation> expectations;
};

struct SuitePlan {
  std::string backend;  // the backend the traffic reaches; empty when none has 2+ servers
  std::string why_no_suite;
  topology::Slo slo;
  scenario::Scenario resilience;  // phases in order: steady, kills, health-only, reload
  scenario::Scenario peak;
  std::vector<Phase> resilience_phases;  // faults[i] belongs to resilience_phases[i + 1]
  Phase peak_phase;
  probes::PredictedRange detection;  // for the slowest-checked server
  probes::PredictedRange recovery;
  bool balance_first = false;
};

// One row of the suite table.
struct SuiteCheck {
  std::string phase;
  probes::ProbeResult result;
};

// `run_topology`: the config's topology (user-config mode, every server described).
[[nodiscard]] SuitePlan plan_suite(const HaproxyConfig& config,
                                   const topology::Topology& run_topology,
                                   const topology::Slo& slo, std::uint64_t seed);

// The rows of one run of the suite. A run that could not start is one failed row: servers that
// never came UP is a validation failure ("readiness"), anything else is returned as an error.
[[nodiscard]] std::vector<SuiteCheck> evaluate_suite(const SuitePlan& plan,
                                                     const scenario::ScenarioResult& resilience,
                                                     const scenario::ScenarioResult& peak);

// The slice of a run's recording that belongs to phase `index` of the resilience run
// (0 = steady), or the peak run's steady window; for the baseline comparison.
[[nodiscard]] scenario::RunRecording phase_slice(const scenario::RunRecording& run,
                                                 std::size_t index);

}  // namespace lbchaos::validate
