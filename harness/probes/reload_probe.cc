#include <fmt/format.h>

#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"

namespace lbchaos::probes {

// Every reload attempted in the window must have been refused with the old worker still
// serving (a bad config must never take over, nor take the service down: seed 001).
ProbeResult reload_rejected(const Expectation& e, const RunRecording& run) {
  auto result = make_result(e, "count");
  const auto w = resolve_window(e.during, run);
  if (!w.range) return cannot_judge(std::move(result), w.why_none);
  int attempted = 0;
  int refused_kept = 0;
  const scenario::ReloadEvent* first_bad = nullptr;
  for (const auto& reload : run.reloads) {
    if (!w.range->contains(reload.at_ns)) continue;
    ++attempted;
    if (!reload.accepted && reload.old_worker_kept) ++refused_kept;
    else if (first_bad == nullptr) first_bad = &reload;
  }
  if (attempted == 0) {
    auto why = fmt::format("no reload was attempted in the {} window", result.window);
    return cannot_judge(std::move(result), std::move(why));
  }
  const auto measured = static_cast<double>(refused_kept);
  if (first_bad != nullptr) {
    const std::string what = first_bad->accepted
                                 ? "was accepted: the bad config is running"
                                 : "was refused but the old worker did not keep serving";
    return fail(std::move(result), measured,
                fmt::format("the reload at {} (instance {}) {}{}; {} of {} refused with the "
                            "old worker kept",
                            run_offset(run, first_bad->at_ns), first_bad->instance, what,
                            first_bad->detail.empty() ? "" : " (" + first_bad->detail + ")",
                            refused_kept, plural(attempted, "reload")));
  }
  auto detail =
      fmt::format("{} in the {} window {} refused and the old worker kept serving",
                  attempted == 1 ? "the one reload" : fmt::format("all {} reloads", attempted),
                  result.window, attempted == 1 ? "was" : "were");
  if (!e.at_least && !e.at_most) {  // the probe's own rule is the threshold
    result.measured = measured;
    result.detail = std::move(detail);
    result.verdict = ProbeResult::kPass;
    return result;
  }
  return judge(std::move(result), measured, std::move(detail));
}

}  // namespace lbchaos::probes
