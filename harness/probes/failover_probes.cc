#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "harness/probes/detection_prediction.h"
#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"

namespace lbchaos::probes {
namespace {

using scenario::FaultEvent;
using traffic::RequestRecord;

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// When a failure was seen: detected, or due if the request was never sent.
std::int64_t failed_at(const RequestRecord& r) {
  return r.done_ns != 0 ? r.done_ns : r.intended_ns;
}

// The fault on the expectation's target server, or why there is none.
struct TargetFault {
  const FaultEvent* fault = nullptr;
  std::string why_none;
};

TargetFault target_fault(const Expectation& e, const RunRecording& run, std::string_view what) {
  if (e.target.empty()) {
    return {nullptr, fmt::format("{} needs a target server (\"backend/server\")", e.probe)};
  }
  const FaultEvent* fault = first_fault_on(run, e.target);
  if (fault == nullptr) {
    return {nullptr, fmt::format("no fault targeted {}, so there is no {}", e.target, what)};
  }
  return {fault, {}};
}

// DESIGN/measurement notes: a server whose checks fail at once is marked DOWN after
// U[0, inter] + (fall-1)*fastinter; one whose checks hang adds fall check timeouts.
std::string predicted_detection(const Topology& topology, std::string_view target,
                                unsigned effects) {
  const auto slash = target.find('/');
  if (slash == std::string_view::npos || topology.uses_user_config()) return "";
  const auto* backend = topology.find_backend(target.substr(0, slash));
  if (backend == nullptr) return "";
  const auto& check = backend->check;
  if (!check.enabled) return fmt::format(" (health checks are disabled for {})", backend->name);
  // What the fault does to the checks, as the fault catalogue declares it.
  const bool fails_at_once = (effects & scenario::kChecksFailAtOnce) != 0;
  const bool hangs = (effects & scenario::kChecksHang) != 0;
  if (!fails_at_once && !hangs) return "";
  const auto [low, high] =
      predict_detection(check, hangs ? CheckFailure::kHangs : CheckFailure::kFailsAtOnce);
  return fmt::format(" (predicted {:.2f}–{:.2f} s)", to_seconds(low.count()),
                     to_seconds(high.count()));
}

}  // namespace

ProbeResult failover_time(const Expectation& e, const RunRecording& run) {
  auto result = make_result(e, "s");
  const auto tf = target_fault(e, run, "failover to time");
  if (tf.fault == nullptr) return cannot_judge(std::move(result), tf.why_none);
  const FaultEvent& f = *tf.fault;
  const std::int64_t until = f.healed_ns.value_or(kNever);
  const auto id = server_id(run, e.target);

  std::optional<std::int64_t> last_served;
  std::optional<std::int64_t> last_failed;
  std::int64_t failed = 0;
  std::int64_t unknown = 0;  // successes of unknown servers: the target may be among them
  for (const RequestRecord& r : run.records) {
    const bool after_fault = r.done_ns >= f.injected_ns && r.done_ns < until;
    if (id && r.server == *id && after_fault) {
      last_served = std::max(last_served.value_or(r.done_ns), r.done_ns);
    }
    if (r.ok() && r.server == traffic::kUnknownServer && after_fault) ++unknown;
    if (r.failed()) {
      const std::int64_t at = failed_at(r);
      if (at < f.injected_ns || at >= until) continue;
      ++failed;
      last_failed = std::max(last_failed.value_or(at), at);
    }
  }
  const std::int64_t served_for = last_served ? *last_served - f.injected_ns : 0;
  const std::int64_t errors_for = last_failed ? *last_failed - f.injected_ns : 0;
  const std::string event = what_happened(f, "it");
  auto detail = fmt::format(
      "{}; {}",
      last_served ? fmt::format("{} kept receiving traffic for {} after {}", e.target,
                                seconds(served_for), event)
                  : fmt::format("{} received no traffic after {}", e.target, event),
      failed > 0 ? fmt::format("{} failed, the last {} after the fault", plural(failed, "request"),
                               seconds(errors_for))
                 : std::string("no request failed"));
  if (unknown > 0) detail += fmt::format("; after the fault, {}", unknown_servers(unknown));
  return judge(std::move(result), to_seconds(std::max(served_for, errors_for)), std::move(detail));
}

ProbeResult recovery_time(const Expectation& e, const RunRecording& run) {
  auto result = make_result(e, "s");
  const auto tf = target_fault(e, run, "recovery to time");
  if (tf.fault == nullptr) return cannot_judge(std::move(result), tf.why_none);
  const FaultEvent& f = *tf.fault;
  if (!f.healed_ns) {
    return cannot_judge(std::move(result),
                        fmt::format("the {} fault on {} was never healed, so there is no "
                                    "recovery to time",
                                    f.action, e.target));
  }
  const std::int64_t healed = *f.healed_ns;
  if (healed >= run.traffic_end_ns) {
    return cannot_judge(std::move(result),
                        fmt::format("{} was healed at {}, after traffic ended at {}, so there "
                                    "is no recovery to time",
                                    e.target, run_offset(run, healed),
                                    run_offset(run, run.traffic_end_ns)));
  }
  const auto id = server_id(run, e.target);
  std::optional<std::int64_t> first_ok;
  for (const RequestRecord& r : run.records) {
    if (id && r.server == *id && r.ok() && r.done_ns >= healed) {
      first_ok = std::min(first_ok.value_or(r.done_ns), r.done_ns);
    }
  }
  // Successes of unknown servers before the target's first: it may have served one of them.
  std::int64_t unknown = 0;
  for (const RequestRecord& r : run.records) {
    if (r.ok() && r.server == traffic::kUnknownServer && r.done_ns >= healed &&
        r.done_ns < first_ok.value_or(run.traffic_end_ns)) {
      ++unknown;
    }
  }
  const std::string note =
      unknown > 0 ? fmt::format("; {}, {}", first_ok ? "before that" : "in that time",
                                unknown_servers(unknown))
                  : "";
  if (!first_ok && !id && unknown > 0) {
    // No response named any server (TCP answers, a command backend whose log lines were lost):
    // whether the target served again cannot be told.
    return cannot_judge(std::move(result),
                        fmt::format("no response after the heal named its server ({}), so "
                                    "whether {} served again cannot be told",
                                    unknown_servers(unknown), e.target));
  }
  if (!first_ok) {
    const std::int64_t watched = run.traffic_end_ns - healed;
    return fail(std::move(result), to_seconds(watched),
                fmt::format("{} served no successful request in the {} between the heal and "
                            "the end of traffic{}",
                            e.target, seconds(watched), note));
  }
  return judge(std::move(result), to_seconds(*first_ok - healed),
               fmt::format("{} served a successful request again {} after the heal (at {}){}",
                           e.target, seconds(*first_ok - healed), run_offset(run, *first_ok),
                           note));
}

ProbeResult detection_time(const Expectation& e, const RunRecording& run,
                           const Topology& topology) {
  auto result = make_result(e, "s");
  const auto tf = target_fault(e, run, "detection to time");
  if (tf.fault == nullptr) return cannot_judge(std::move(result), tf.why_none);
  const FaultEvent& f = *tf.fault;
  const std::int64_t until = f.healed_ns.value_or(kNever);
  const scenario::HaproxyEvent* first_down = nullptr;
  for (const auto& ev : run.haproxy_events) {
    if (ev.server != e.target || ev.state != "DOWN") continue;
    if (ev.at_ns < f.injected_ns || ev.at_ns >= until) continue;
    if (first_down == nullptr || ev.at_ns < first_down->at_ns) first_down = &ev;
  }
  const std::string prediction = predicted_detection(topology, e.target, f.effects);
  const std::string event = what_happened(f, "it");
  if (first_down == nullptr) {
    const std::int64_t watched = f.healed_ns.value_or(run.traffic_end_ns) - f.injected_ns;
    return fail(std::move(result), to_seconds(watched),
                fmt::format("haproxy never marked {} DOWN in the {} after {}{}", e.target,
                            seconds(watched), event, prediction));
  }
  const std::int64_t took = first_down->at_ns - f.injected_ns;
  const std::string who = first_down->instance == 0
                              ? "haproxy"
                              : fmt::format("haproxy instance {}", first_down->instance);
  return judge(std::move(result), to_seconds(took),
               fmt::format("{} marked {} DOWN {} after {}{}", who, e.target, seconds(took), event,
                           prediction));
}

}  // namespace lbchaos::probes
