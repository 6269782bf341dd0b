#include "harness/scenario/result.h"

#include <algorithm>

#include "harness/common/exit_codes.h"

namespace lbchaos::scenario {

namespace {

int count_verdict(const std::vector<probes::ProbeResult>& probes, probes::ProbeResult::Verdict v) {
  return static_cast<int>(std::count_if(probes.begin(), probes.end(),
                                        [v](const auto& p) { return p.verdict == v; }));
}

}  // namespace

double ScenarioResult::abort_at_s() const {
  if (abort_reason.empty()) return 0;
  return static_cast<double>(abort_ns - recording.traffic_start_ns) / 1e9;
}

int ScenarioResult::passed() const { return count_verdict(probes, probes::ProbeResult::kPass); }
int ScenarioResult::failed() const { return count_verdict(probes, probes::ProbeResult::kFail); }
int ScenarioResult::errors() const { return count_verdict(probes, probes::ProbeResult::kError); }

std::string to_string(ScenarioResult::Outcome outcome) {
  switch (outcome) {
    case ScenarioResult::Outcome::kPassed: return "passed";
    case ScenarioResult::Outcome::kFailed: return "failed";
    case ScenarioResult::Outcome::kError: return "error";
    case ScenarioResult::Outcome::kInterrupted: return "interrupted";
  }
  return "error";
}

int exit_code_for(const std::vector<ScenarioResult>& results) {
  int code = kExitOk;
  for (const auto& result : results) {
    switch (result.outcome) {
      case ScenarioResult::Outcome::kPassed: break;
      // A probe that cannot judge (kError) fails the run: silence must never look like a pass.
      case ScenarioResult::Outcome::kFailed: code = std::max(code, int{kExitProbeFailed}); break;
      case ScenarioResult::Outcome::kInterrupted: code = std::max(code, int{kExitProbeFailed}); break;
      case ScenarioResult::Outcome::kError: code = std::max(code, result.error_exit_code); break;
    }
  }
  return code;
}

}  // namespace lbchaos::scenario
