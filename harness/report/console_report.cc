#include "harness/report/console_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "harness/report/console_strip.h"
#include "harness/report/format.h"
#include "harness/report/json_journal.h"

namespace lbchaos::report {

namespace {

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

void print_scenario(std::FILE* out, const scenario::ScenarioResult& result) {
  const auto& s = *result.scenario;
  fmt::print(out, "\n== {} ({}) -- {} in {:.1f}s, seed {}\n", s.name, s.file.filename().string(),
             upper(to_string(result.outcome)), result.wall_seconds, result.seed);
  for (const auto& fault : result.recording.faults) {
    if (fault.heal_failed) {
      fmt::print(out, "   HEAL FAILED: {} {}: {}\n", fault.action, fault.target, fault.heal_error);
    }
  }
  if (result.outcome == scenario::ScenarioResult::Outcome::kError) {
    if (result.probes.empty()) {
      fmt::print(out, "   could not run: {}\n", result.error);
      return;
    }
    fmt::print(out, "   error: {}\n", result.error);
  }
  if (!result.abort_reason.empty()) {
    fmt::print(out, "   aborted at +{:.2f}s: {}\n", result.abort_at_s(), result.abort_reason);
  }
  std::size_t probe_width = 5, target_width = 6;
  for (const auto& p : result.probes) {
    probe_width = std::max(probe_width, p.probe.size());
    target_width = std::max(target_width, p.target.size());
  }
  fmt::print(out, "   {:<{}}  {:<{}}  {:<8}  {:>10}  {:>12}  {}\n", "probe", probe_width, "target",
             target_width, "window", "measured", "threshold", "verdict");
  for (const auto& p : result.probes) {
    fmt::print(out, "   {:<{}}  {:<{}}  {:<8}  {:>10}  {:>12}  {}\n", p.probe, probe_width,
               p.target, target_width, p.window, format_value(p.measured, p.unit),
               format_threshold(p.threshold, p.comparison, p.unit),
               upper(std::string(probes::to_string(p.verdict))));
    if (!p.detail.empty()) fmt::print(out, "     {}\n", p.detail);
  }
  if (result.coverage.measured()) {
    fmt::print(out, "   route coverage: {}\n", result.coverage.summary());
  }
  if (!result.recording.records.empty()) {
    for (const auto& line : availability_strip(scenario_journal_json(result), locale_is_utf8())) {
      fmt::print(out, "{}\n", line);
    }
  }
  std::fflush(out);
}

void print_summary(std::FILE* out, const std::vector<scenario::ScenarioResult>& results) {
  int passed = 0, failed = 0, errors = 0, scenarios_ok = 0, interrupted = 0, aborted = 0;
  for (const auto& r : results) {
    passed += r.passed();
    failed += r.failed();
    errors += r.errors() + (r.outcome == scenario::ScenarioResult::Outcome::kError ? 1 : 0);
    if (r.outcome == scenario::ScenarioResult::Outcome::kPassed) ++scenarios_ok;
    if (r.outcome == scenario::ScenarioResult::Outcome::kInterrupted) ++interrupted;
    if (!r.abort_reason.empty()) ++aborted;
  }
  std::string stopped_early;
  if (interrupted > 0) stopped_early += fmt::format(", {} interrupted", interrupted);
  if (aborted > 0) stopped_early += fmt::format(", {} aborted", aborted);
  fmt::print(out, "\n{} of {} scenario(s) passed{}; probes: {} passed, {} failed, {} errors\n",
             scenarios_ok, results.size(), stopped_early, passed, failed, errors);
  std::fflush(out);
}

}  // namespace lbchaos::report
