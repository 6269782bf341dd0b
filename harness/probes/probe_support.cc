#include "harness/probes/probe_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace lbchaos::probes {

using scenario::RunRecording;
using scenario::Window;

ResolvedWindow resolve_window(Window window, const RunRecording& run) {
  const std::int64_t start = run.traffic_start_ns;
  const std::int64_t end = run.traffic_end_ns;
  TimeRange range{start, end};
  switch (window) {
    case Window::kAll: break;
    case Window::kSteady: range.begin_ns = run.steady_start_ns; break;
    case Window::kFault:
    case Window::kRecovery: {
      if (run.faults.empty()) {
        return {std::nullopt, fmt::format("no fault was injected, so there is no {} window",
                                          scenario::to_string(window))};
      }
      std::int64_t first_injection = std::numeric_limits<std::int64_t>::max();
      std::int64_t last_heal = std::numeric_limits<std::int64_t>::min();
      const scenario::FaultEvent* unhealed = nullptr;
      for (const auto& f : run.faults) {
        first_injection = std::min(first_injection, f.injected_ns);
        if (f.healed_ns) last_heal = std::max(last_heal, *f.healed_ns);
        else if (unhealed == nullptr) unhealed = &f;
      }
      if (window == Window::kFault) {
        range = {first_injection, unhealed != nullptr ? end : std::min(last_heal, end)};
        break;
      }
      if (unhealed != nullptr) {
        return {std::nullopt,
                fmt::format("the {} fault on {} was never healed, so there is no recovery window",
                            unhealed->action, unhealed->target)};
      }
      if (last_heal >= end) {
        return {std::nullopt,
                fmt::format("the last heal came at {}, after traffic ended at {}, so the "
                            "recovery window is empty",
                            run_offset(run, last_heal), run_offset(run, end))};
      }
      range.begin_ns = last_heal;
      break;
    }
  }
  if (range.begin_ns >= range.end_ns) {
    return {std::nullopt, fmt::format("the {} window is empty (from {} to {})",
                                      scenario::to_string(window), run_offset(run, range.begin_ns),
                                      run_offset(run, range.end_ns))};
  }
  return {range, {}};
}

const scenario::FaultEvent* first_fault_on(const RunRecording& run, std::string_view target) {
  const scenario::FaultEvent* first = nullptr;
  for (const auto& f : run.faults) {
    if (f.target == target && (first == nullptr || f.injected_ns < first->injected_ns)) first = &f;
  }
  return first;
}

std::optional<std::uint16_t> server_id(const RunRecording& run, std::string_view key) {
  const auto& names = run.servers.names();
  const auto it = std::find(names.begin(), names.end(), key);
  if (it == names.end()) return std::nullopt;
  return static_cast<std::uint16_t>(it - names.begin());
}

ProbeResult make_result(const scenario::Expectation& expectation, std::string_view unit) {
  ProbeResult r;
  r.probe = expectation.probe;
  r.target = expectation.target;
  r.window = scenario::to_string(expectation.during);
  r.measured = std::numeric_limits<double>::quiet_NaN();
  r.unit = unit;
  if (expectation.at_least && !expectation.at_most) {
    r.threshold = expectation.at_least;
    r.comparison = "at_least";
  } else if (expectation.at_most && !expectation.at_least) {
    r.threshold = expectation.at_most;
    r.comparison = "at_most";
  }
  return r;
}

ProbeResult cannot_judge(ProbeResult result, std::string why) {
  result.verdict = ProbeResult::kError;
  result.measured = std::numeric_limits<double>::quiet_NaN();
  result.detail = std::move(why);
  return result;
}

ProbeResult judge(ProbeResult result, double measured, std::string detail) {
  result.measured = measured;
  result.detail = std::move(detail);
  if (!result.threshold) {
    result.verdict = ProbeResult::kError;
    result.detail += "; the expectation needs exactly one of at_least or at_most to judge it";
    return result;
  }
  const bool pass = result.comparison == "at_least" ? measured >= *result.threshold
                                                    : measured <= *result.threshold;
  result.verdict = pass ? ProbeResult::kPass : ProbeResult::kFail;
  return result;
}

ProbeResult fail(ProbeResult result, double measured, std::string detail) {
  result.measured = measured;
  result.detail = std::move(detail);
  result.verdict = ProbeResult::kFail;
  return result;
}

double to_seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

std::string seconds(std::int64_t ns) { return fmt::format("{:.2f} s", to_seconds(ns)); }

std::string latency(std::int64_t ns) {
  if (ns < 1'000'000) return fmt::format("{:.0f} µs", static_cast<double>(ns) / 1e3);
  if (ns < 1'000'000'000) return fmt::format("{:.1f} ms", static_cast<double>(ns) / 1e6);
  return fmt::format("{:.2f} s", to_seconds(ns));
}

std::string percent(double ratio) { return fmt::format("{:.2f}%", ratio * 100); }

std::string plural(std::int64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string unknown_servers(std::int64_t n) {
  return fmt::format("{} with no known server: no X-Lbchaos-Server header, no haproxy log line "
                     "naming a server that answered",
                     plural(n, "successful response"));
}

std::string run_offset(const RunRecording& run, std::int64_t at_ns) {
  return fmt::format("{:+.2f} s", to_seconds(at_ns - run.traffic_start_ns));
}

std::string what_happened(const scenario::FaultEvent& fault, std::string_view subject) {
  // The verb is the fault catalogue's, stamped on the event by the runner.
  if (fault.verb.empty()) return fmt::format("the {} fault was injected", fault.action);
  return fmt::format("{} was {}", subject, fault.verb);
}

}  // namespace lbchaos::probes
