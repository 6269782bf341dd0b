#include <fmt/format.h>

#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"

namespace lbchaos::probes {

// Seed 000's runbook: from losing the LB (lb_kill) to the first successful request sent after
// it, through any instance.
ProbeResult mttr(const Expectation& e, const RunRecording& run) {
  auto result = make_result(e, "s");
  const scenario::FaultEvent* kill = nullptr;
  for (const auto& f : run.faults) {
    if (f.action != "lb_kill" || (!e.target.empty() && f.target != e.target)) continue;
    if (kill == nullptr || f.injected_ns < kill->injected_ns) kill = &f;
  }
  if (kill == nullptr) {
    return cannot_judge(
        std::move(result),
        fmt::format("no lb_kill fault{} in this run, so there is no MTTR to measure",
                    e.target.empty() ? "" : " on " + e.target));
  }
  result.target = kill->target;
  const std::int64_t killed = kill->injected_ns;
  std::optional<std::int64_t> restored;
  for (const auto& r : run.records) {
    if (r.intended_ns >= killed && r.ok()) {
      restored = std::min(restored.value_or(r.done_ns), r.done_ns);
    }
  }
  const std::string event = what_happened(*kill, kill->target);
  if (!restored) {
    const std::int64_t watched = run.traffic_end_ns - killed;
    return fail(std::move(result), to_seconds(watched),
                fmt::format("service was not restored: no request sent in the {} after {} "
                            "succeeded",
                            seconds(watched), event));
  }
  std::int64_t failed = 0;
  for (const auto& r : run.records) {
    if (r.intended_ns >= killed && r.intended_ns < *restored && r.failed()) ++failed;
  }
  const std::string restore =
      kill->healed_ns && *kill->healed_ns <= *restored
          ? fmt::format(", {} after the restore", seconds(*restored - *kill->healed_ns))
          : std::string();
  return judge(std::move(result), to_seconds(*restored - killed),
               fmt::format("service restored {} after {} (first successful request{}); {} failed "
                           "in between",
                           seconds(*restored - killed), event, restore,
                           plural(failed, "request")));
}

}  // namespace lbchaos::probes
