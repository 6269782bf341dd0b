#include "harness/probes/probe.h"

#include <fmt/format.h>

#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"

namespace lbchaos::probes {

std::string_view to_string(ProbeResult::Verdict verdict) {
  switch (verdict) {
    case ProbeResult::kPass: return "pass";
    case ProbeResult::kFail: return "fail";
    case ProbeResult::kError: return "error";
  }
  return "error";
}

ProbeResult evaluate(const Expectation& e, const RunRecording& run, const Topology& topology) {
  const std::string_view name = e.probe;
  if (name == "availability") return availability(e, run);
  if (name == "latency") return latency_percentile(e, run);
  if (name == "error_count") return error_count(e, run);
  if (name == "failover_time") return failover_time(e, run);
  if (name == "recovery_time") return recovery_time(e, run);
  if (name == "detection_time") return detection_time(e, run, topology);
  if (name == "distribution") return distribution(e, run, topology);
  if (name == "reload_rejected") return reload_rejected(e, run);
  if (name == "mttr") return mttr(e, run);
  if (name == "alert") return alert(e, run);
  return cannot_judge(make_result(e, ""), fmt::format("unknown probe '{}'", e.probe));
}

}  // namespace lbchaos::probes
