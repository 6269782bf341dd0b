#include "harness/probes/probe.h"

#include <fmt/format.h>

#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"
#include "harness/probes/registry.h"

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
  if (const ProbeInfo* probe = find_probe(e.probe)) return probe->evaluate(e, run, topology);
  return cannot_judge(make_result(e, ""), fmt::format("unknown probe '{}'", e.probe));
}

}  // namespace lbchaos::probes
