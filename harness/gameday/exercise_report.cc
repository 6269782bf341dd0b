#include "harness/gameday/exercise_report.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/exit_codes.h"

namespace lbchaos::gameday {

ExerciseReport exercise_report(ExerciseRecording in) {
  ExerciseReport out;
  out.scenario = std::make_unique<scenario::Scenario>();
  auto& s = *out.scenario;
  s.name = fmt::format("game day: {}", in.topology.name);
  s.description = "An exercise of `lbchaos up`: background traffic, and faults injected by hand.";
  s.file = in.topology.file;
  const MonoTime end = std::max(in.end, in.start);
  s.traffic.rate = in.traffic_rate;
  s.traffic.duration = std::chrono::duration_cast<Duration>(end - in.start);
  s.traffic.warmup = Duration::zero();
  s.topology = std::move(in.topology);

  auto& r = out.result;
  r.scenario = out.scenario.get();
  r.haproxy_version = std::move(in.haproxy_version);
  r.config_sha256 = std::move(in.config_sha256);
  r.wall_seconds = in.wall_seconds;
  auto& rec = r.recording;
  rec.traffic_start_ns = to_ns(in.start);
  rec.steady_start_ns = rec.traffic_start_ns;
  rec.traffic_end_ns = to_ns(end);
  rec.records = std::move(in.records);
  rec.servers = std::move(in.servers);
  rec.faults = std::move(in.faults);
  std::stable_sort(rec.faults.begin(), rec.faults.end(),
                   [](const auto& a, const auto& b) { return a.injected_ns < b.injected_ns; });
  rec.haproxy_events = std::move(in.haproxy_events);
  rec.alerts = std::move(in.alerts);

  std::vector<std::string> failed;
  for (const auto& f : rec.faults) {
    if (f.heal_failed) failed.push_back(fmt::format("{} {} {}: {}", f.id, f.action, f.target, f.heal_error));
  }
  if (failed.empty()) {
    r.outcome = scenario::ScenarioResult::Outcome::kPassed;
  } else {
    r.outcome = scenario::ScenarioResult::Outcome::kError;
    r.error_exit_code = kExitProbeFailed;
    r.error = fmt::format("heal failed, the fault may still be in place: {}",
                          fmt::join(failed, "; "));
  }
  return out;
}

}  // namespace lbchaos::gameday
