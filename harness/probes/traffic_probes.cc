#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"
#include "harness/model/timeline.h"
#include "harness/traffic/histogram.h"

namespace lbchaos::probes {
namespace {

using traffic::RequestRecord;

// The outcomes of the requests due in the expectation's window, or why there are none.
struct WindowTraffic {
  std::optional<TimeRange> range;
  scenario::OutcomeCounts outcomes;
  std::string why_none;
};

WindowTraffic traffic_in(const Expectation& e, const RunRecording& run) {
  WindowTraffic t;
  auto w = resolve_window(e.during, run);
  if (!w.range) {
    t.why_none = std::move(w.why_none);
    return t;
  }
  t.range = w.range;
  for (const auto& r : run.records) {
    if (w.range->contains(r.intended_ns)) t.outcomes.add(r);
  }
  if (t.outcomes.total() == 0) {
    t.why_none = fmt::format("no request was due in the {} window ({} to {})",
                             scenario::to_string(e.during), run_offset(run, w.range->begin_ns),
                             run_offset(run, w.range->end_ns));
  }
  return t;
}

// "none failed" / "9 failed: 6 refused, 3 reset"
std::string failures(const scenario::OutcomeCounts& o) {
  if (o.failed() == 0) return "none failed";
  return fmt::format("{} failed: {}", o.failed(), o.describe_failures());
}

}  // namespace

ProbeResult availability(const Expectation& e, const RunRecording& run) {
  auto result = make_result(e, "ratio");
  const auto t = traffic_in(e, run);
  if (!t.why_none.empty()) return cannot_judge(std::move(result), t.why_none);
  const auto& o = t.outcomes;
  const double ratio = static_cast<double>(o.ok) / static_cast<double>(o.total());
  auto detail = fmt::format("{} of {} requests due in the {} window succeeded ({})",
                            percent(ratio), o.total(), result.window, failures(o));
  return judge(std::move(result), ratio, std::move(detail));
}

ProbeResult latency_percentile(const Expectation& e, const RunRecording& run) {
  auto result = make_result(e, "s");
  const auto t = traffic_in(e, run);
  if (!t.why_none.empty()) return cannot_judge(std::move(result), t.why_none);
  std::vector<std::int64_t> corrected;
  std::vector<std::int64_t> raw;
  for (const RequestRecord& r : run.records) {
    if (!t.range->contains(r.intended_ns) || !r.ok()) continue;
    corrected.push_back(r.latency_ns());
    raw.push_back(r.raw_latency_ns());
  }
  if (corrected.empty()) {
    auto why = fmt::format(
        "none of the {} requests due in the {} window succeeded, so there is no latency to measure",
        t.outcomes.total(), result.window);
    return cannot_judge(std::move(result), std::move(why));
  }
  const std::int64_t p = traffic::exact_percentile(corrected, e.percentile);
  const std::int64_t p_raw = traffic::exact_percentile(raw, e.percentile);
  auto detail = fmt::format(
      "p{} latency from the intended send time was {} over the {} successful requests in the {} "
      "window ({} from the actual send; {} not counted)",
      e.percentile, latency(p), corrected.size(), result.window, latency(p_raw),
      plural(t.outcomes.failed(), "failed request"));
  return judge(std::move(result), to_seconds(p), std::move(detail));
}

ProbeResult error_count(const Expectation& e, const RunRecording& run) {
  auto result = make_result(e, "count");
  const auto t = traffic_in(e, run);
  if (!t.why_none.empty()) return cannot_judge(std::move(result), t.why_none);
  const auto& o = t.outcomes;
  auto detail = fmt::format("{} of {} requests due in the {} window failed{}", o.failed(),
                            o.total(), result.window,
                            o.failed() == 0 ? "" : fmt::format(" ({})", o.describe_failures()));
  return judge(std::move(result), static_cast<double>(o.failed()), std::move(detail));
}

}  // namespace lbchaos::probes
