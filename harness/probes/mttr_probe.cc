#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>

#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"

namespace lbchaos::probes {
namespace {

// The outages mttr measures: losing the LB (seed 000), and a bad config applied by restart
// (seed 001), which takes haproxy down until the good config is back.
bool is_lb_outage(const scenario::FaultEvent& f) { return (f.effects & scenario::kLbOutage) != 0; }

}  // namespace

// From the outage (lb_kill, or config_corrupt applied by restart) to the first successful
// request after it, through any instance. For a bad config by restart, only requests sent once
// the good config is back count: requests in flight while the old haproxy stops may still
// succeed, and do not mean the service was restored.
ProbeResult mttr(const Expectation& e, const RunRecording& run) {
  auto result = make_result(e, "s");
  const scenario::FaultEvent* outage = nullptr;
  for (const auto& f : run.faults) {
    if (!is_lb_outage(f) || (!e.target.empty() && f.target != e.target)) continue;
    if (outage == nullptr || f.injected_ns < outage->injected_ns) outage = &f;
  }
  if (outage == nullptr) {
    return cannot_judge(
        std::move(result),
        fmt::format("no lb_kill fault{} in this run (nor a config_corrupt applied by restart), "
                    "so there is no MTTR to measure",
                    e.target.empty() ? "" : " on " + e.target));
  }
  result.target = outage->target;
  const bool bad_config = (outage->effects & scenario::kConfigChange) != 0;
  const std::int64_t lost = outage->injected_ns;
  const std::string event =
      bad_config ? fmt::format("the bad config was applied to {} by restart", outage->target)
                 : what_happened(*outage, outage->target);
  if (bad_config && !outage->healed_ns) {
    const std::int64_t watched = run.traffic_end_ns - lost;
    return fail(std::move(result), to_seconds(watched),
                fmt::format("service was not restored: the good config was not put back in the "
                            "{} after {}",
                            seconds(watched), event));
  }
  const std::int64_t counted_from = bad_config ? *outage->healed_ns : lost;
  std::optional<std::int64_t> restored;
  for (const auto& r : run.records) {
    if (r.intended_ns >= counted_from && r.ok()) {
      restored = std::min(restored.value_or(r.done_ns), r.done_ns);
    }
  }
  if (!restored) {
    const std::int64_t watched = run.traffic_end_ns - lost;
    return fail(std::move(result), to_seconds(watched),
                fmt::format("service was not restored: no request sent in the {} after {} "
                            "succeeded{}",
                            seconds(watched), event,
                            bad_config ? " once the good config was back" : ""));
  }
  std::int64_t failed = 0;
  for (const auto& r : run.records) {
    if (r.intended_ns >= lost && r.intended_ns < *restored && r.failed()) ++failed;
  }
  const std::string_view healed_as = bad_config ? "the good config was back" : "the restore";
  const std::string restore =
      outage->healed_ns && *outage->healed_ns <= *restored
          ? fmt::format(", {} after {}", seconds(*restored - *outage->healed_ns), healed_as)
          : std::string();
  return judge(std::move(result), to_seconds(*restored - lost),
               fmt::format("service restored {} after {} (first successful request{}); {} failed "
                           "in between",
                           seconds(*restored - lost), event, restore, plural(failed, "request")));
}

}  // namespace lbchaos::probes
