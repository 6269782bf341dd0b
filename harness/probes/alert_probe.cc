#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"

// probe = "alert": what the team's alert rules did during the run, as the alert engine (embedded
// evaluator or real Prometheus/Alertmanager) reported it on the run's clock.
namespace lbchaos::probes {

namespace {

using alerting::AlertEvent;
using alerting::AlertState;
using alerting::EngineOutage;
using scenario::AlertCheck;
using Kind = AlertCheck::Kind;

bool matches(const AlertCheck& check, const std::string& rule, const observe::Labels& labels) {
  if (!check.rule.empty() && rule != check.rule) return false;
  return std::all_of(check.labels.begin(), check.labels.end(), [&](const auto& wanted) {
    const auto found = labels.find(wanted.first);
    return found != labels.end() && found->second == wanted.second;
  });
}

// "HaproxyServerDown{proxy=app,server=web1}"
std::string describe_instance(const AlertEvent& event) {
  std::string labels;
  for (const auto& [name, value] : event.labels) {
    if (name == "alertname") continue;
    if (!labels.empty()) labels += ",";
    labels += fmt::format("{}={}", name, value);
  }
  return labels.empty() ? event.rule : fmt::format("{}{{{}}}", event.rule, labels);
}

std::string instance_key(const AlertEvent& event) { return describe_instance(event); }

// "rule HaproxyServerDown" or "rule HaproxyServerDown{server=web1}" as the check names it.
std::string describe_rule(const AlertCheck& check) {
  std::string labels;
  for (const auto& [name, value] : check.labels) {
    if (!labels.empty()) labels += ",";
    labels += fmt::format("{}={}", name, value);
  }
  const std::string rule = check.rule.empty() ? "any alert" : "rule " + check.rule;
  return labels.empty() ? rule : fmt::format("{} {{{}}}", rule, labels);
}

// The fault the check measures from: the first on the expectation's target, else the first.
const scenario::FaultEvent* measured_fault(const Expectation& e, const RunRecording& run) {
  if (!e.target.empty()) return first_fault_on(run, e.target);
  const scenario::FaultEvent* first = nullptr;
  for (const auto& f : run.faults) {
    if (first == nullptr || f.injected_ns < first->injected_ns) first = &f;
  }
  return first;
}

// Alert instances matching the check that are firing at time `t` (events up to t applied).
std::set<std::string> firing_at(const AlertCheck& check, const std::vector<AlertEvent>& events,
                                std::int64_t t) {
  std::set<std::string> firing;
  for (const auto& event : events) {
    if (event.at_ns > t) break;
    if (!matches(check, event.rule, event.labels)) continue;
    if (event.state == AlertState::kFiring) {
      firing.insert(instance_key(event));
    } else {
      firing.erase(instance_key(event));
    }
  }
  return firing;
}

// The same, counting only what the engine had reported before `t` (a scrape round that started
// just before a fault may already show it: that is not "before the fault"). Instance -> since.
std::map<std::string, std::int64_t> reported_firing_before(const AlertCheck& check,
                                                           const std::vector<AlertEvent>& events,
                                                           std::int64_t t) {
  std::map<std::string, std::int64_t> firing;
  for (const auto& event : events) {
    if (alerting::reported_ns(event) >= t || !matches(check, event.rule, event.labels)) continue;
    if (event.state == AlertState::kFiring) {
      firing.emplace(instance_key(event), event.at_ns);
    } else {
      firing.erase(instance_key(event));
    }
  }
  return firing;
}

// The first outage of an engine node overlapping [begin, end]: Prometheus's for alert states,
// Alertmanager's too for deliveries.
const EngineOutage* outage_during(const RunRecording& run, std::int64_t begin, std::int64_t end,
                                  bool deliveries = false) {
  for (const auto& outage : run.alerts.outages) {
    if (outage.component == "alertmanager" && !deliveries) continue;
    const auto until = outage.until_ns.value_or(std::numeric_limits<std::int64_t>::max());
    if (outage.from_ns <= end && until >= begin) return &outage;
  }
  return nullptr;
}

// An outage makes the check unjudgeable when it could have changed the verdict.
ProbeResult not_watching(ProbeResult result, const EngineOutage& outage, const RunRecording& run) {
  const std::string until = outage.until_ns ? "to " + run_offset(run, *outage.until_ns)
                                            : std::string("to the end of the run");
  return cannot_judge(std::move(result),
                      fmt::format("the alert engine was not watching: {} did not answer from {} "
                                  "{} ({})",
                                  outage.component, run_offset(run, outage.from_ns), until,
                                  outage.why));
}

std::string rule_known(const AlertCheck& check, const RunRecording& run) {
  const auto& rules = run.alerts.rules;
  if (check.rule.empty() || rules.empty() ||
      std::find(rules.begin(), rules.end(), check.rule) != rules.end()) {
    return {};
  }
  std::string names;
  for (const auto& r : rules) names += (names.empty() ? "" : ", ") + r;
  return fmt::format(" (no rule of that name is loaded; the {} engine has: {})", run.alerts.engine,
                     names);
}

// fires_within / delivered_within measure from the fault, or from the start of traffic in a
// scenario without one (the misconfiguration is in the topology itself, as behind a NAT).
struct Origin {
  std::int64_t at_ns = 0;
  std::string event;
  bool is_fault = false;
};

std::optional<Origin> origin(const Expectation& e, const RunRecording& run) {
  if (const auto* fault = measured_fault(e, run)) {
    return Origin{fault->injected_ns, what_happened(*fault, fault->target), true};
  }
  if (!e.target.empty() || !run.faults.empty()) return std::nullopt;
  return Origin{run.traffic_start_ns, "traffic started", false};
}

ProbeResult fires_within(const Expectation& e, const AlertCheck& check, const RunRecording& run,
                         ProbeResult result) {
  const auto from_origin = origin(e, run);
  if (!from_origin) {
    return cannot_judge(std::move(result), fmt::format("no fault on {} was injected in this run",
                                                       e.target));
  }
  const std::int64_t from = from_origin->at_ns;
  const std::int64_t until = from + check.within.count();
  const std::string& event = from_origin->event;
  const bool after_a_fault = from_origin->is_fault;
  if (after_a_fault) {
    // A rule that fires anyway (always true, wrong threshold) would pass with 0 s: it shows
    // nothing about the fault.
    if (const auto* outage = outage_during(run, from, from)) {
      return not_watching(std::move(result), *outage, run);
    }
    const auto already = reported_firing_before(check, run.alerts.events, from);
    if (!already.empty()) {
      const auto& [instance, since] = *already.begin();
      return fail(std::move(result), std::numeric_limits<double>::quiet_NaN(),
                  fmt::format("{} was already firing before {} (since {}): it cannot show the "
                              "fault",
                              instance, event, run_offset(run, since)));
    }
  } else {
    // No fault: the misconfiguration is there from the start, and so may be the alert.
    const auto already = firing_at(check, run.alerts.events, from);
    if (!already.empty()) {
      return judge(std::move(result), 0,
                   fmt::format("{} was already firing when {} ({})", describe_rule(check), event,
                               *already.begin()));
    }
  }
  for (const auto& alert : run.alerts.events) {
    if (alerting::reported_ns(alert) < from || alert.state != AlertState::kFiring) continue;
    if (!matches(check, alert.rule, alert.labels)) continue;
    const std::int64_t took = std::max<std::int64_t>(alert.at_ns - from, 0);
    result = judge(std::move(result), to_seconds(took),
                   fmt::format("{} fired {} after {}", describe_instance(alert), seconds(took),
                               event));
    // Seen late after an outage, it may have fired in time: only a pass stands.
    if (result.verdict == ProbeResult::kFail) {
      if (const auto* outage = outage_during(run, from, until)) {
        return not_watching(std::move(result), *outage, run);
      }
    }
    return result;
  }
  if (const auto* outage = outage_during(run, from, until)) {
    return not_watching(std::move(result), *outage, run);
  }
  const std::int64_t watched = run.traffic_end_ns - from;
  return fail(std::move(result), to_seconds(std::max<std::int64_t>(watched, 0)),
              fmt::format("{} never fired in the {} after {}{}", describe_rule(check),
                          seconds(watched), event, rule_known(check, run)));
}

ProbeResult resolution(const Expectation& e, const AlertCheck& check, const RunRecording& run,
                       ProbeResult result);

// A failure (never fired, still firing, late) stands only if the engine watched the fault and
// the resolution; a pass is an upper bound whatever happened.
ProbeResult resolves_within(const Expectation& e, const AlertCheck& check, const RunRecording& run,
                            ProbeResult result) {
  result = resolution(e, check, run, std::move(result));
  const auto* fault = measured_fault(e, run);
  if (result.verdict != ProbeResult::kFail || fault == nullptr || !fault->healed_ns) return result;
  if (const auto* outage =
          outage_during(run, fault->injected_ns, *fault->healed_ns + check.within.count())) {
    return not_watching(std::move(result), *outage, run);
  }
  return result;
}

ProbeResult resolution(const Expectation& e, const AlertCheck& check, const RunRecording& run,
                       ProbeResult result) {
  const auto* fault = measured_fault(e, run);
  if (fault == nullptr) return cannot_judge(std::move(result), "no fault was injected in this run");
  if (!fault->healed_ns) {
    return cannot_judge(std::move(result),
                        fmt::format("{} {} was never healed during traffic, so there is no "
                                    "resolution to time (set heal_after)",
                                    fault->action, fault->target));
  }
  const std::int64_t healed = *fault->healed_ns;
  bool fired = false;
  for (const auto& alert : run.alerts.events) {
    if (alert.at_ns >= fault->injected_ns && alert.at_ns <= healed &&
        alert.state == AlertState::kFiring && matches(check, alert.rule, alert.labels)) {
      fired = true;
    }
  }
  if (!fired && firing_at(check, run.alerts.events, healed).empty()) {
    return fail(std::move(result), std::numeric_limits<double>::quiet_NaN(),
                fmt::format("{} never fired during {} {}, so it cannot resolve{}",
                            describe_rule(check), fault->action, fault->target,
                            rule_known(check, run)));
  }
  // The first moment at or after the heal when no matching instance is firing.
  if (firing_at(check, run.alerts.events, healed).empty()) {
    return judge(std::move(result), 0,
                 fmt::format("{} had already resolved when {} {} was healed", describe_rule(check),
                             fault->action, fault->target));
  }
  for (const auto& alert : run.alerts.events) {
    if (alert.at_ns <= healed || alert.state == AlertState::kFiring) continue;
    if (!matches(check, alert.rule, alert.labels)) continue;
    if (firing_at(check, run.alerts.events, alert.at_ns).empty()) {
      return judge(std::move(result), to_seconds(alert.at_ns - healed),
                   fmt::format("{} resolved {} after {} {} was healed", describe_rule(check),
                               seconds(alert.at_ns - healed), fault->action, fault->target));
    }
  }
  const auto still = firing_at(check, run.alerts.events, std::numeric_limits<std::int64_t>::max());
  const std::int64_t watched = std::max<std::int64_t>(run.traffic_end_ns - healed, 0);
  return fail(std::move(result), to_seconds(watched),
              fmt::format("{} was still firing {} after {} {} was healed ({})",
                          describe_rule(check), seconds(watched), fault->action, fault->target,
                          still.empty() ? std::string("?") : *still.begin()));
}

ProbeResult silent(const Expectation& e, const AlertCheck& check, const RunRecording& run,
                   ProbeResult result) {
  const auto w = resolve_window(e.during, run);
  if (!w.range) return cannot_judge(std::move(result), w.why_none);
  const auto* outage = outage_during(run, w.range->begin_ns, w.range->end_ns);
  // What was firing when the window opened, unless that state is stale (an outage covers it).
  std::set<std::string> fired;
  if (outage_during(run, w.range->begin_ns, w.range->begin_ns) == nullptr) {
    fired = firing_at(check, run.alerts.events, w.range->begin_ns);
  }
  std::int64_t first = fired.empty() ? -1 : w.range->begin_ns;
  for (const auto& alert : run.alerts.events) {
    if (!w.range->contains(alert.at_ns) || alert.state != AlertState::kFiring) continue;
    if (!matches(check, alert.rule, alert.labels)) continue;
    if (first < 0) first = alert.at_ns;
    fired.insert(describe_instance(alert));
  }
  const auto count = static_cast<double>(fired.size());
  // A false positive seen is one; quiet while the engine was not watching proves nothing.
  if (fired.empty() && outage != nullptr) return not_watching(std::move(result), *outage, run);
  if (fired.empty()) {
    return judge(std::move(result), 0,
                 fmt::format("{} stayed quiet ({} window, {} engine)", describe_rule(check),
                             result.window, run.alerts.engine));
  }
  std::string names;
  for (const auto& name : fired) names += (names.empty() ? "" : ", ") + name;
  return judge(std::move(result), count,
               fmt::format("{} fired while it should stay quiet: {} (first at {})",
                           plural(static_cast<std::int64_t>(fired.size()), "alert"), names,
                           run_offset(run, first)));
}

ProbeResult delivered_within(const Expectation& e, const AlertCheck& check,
                             const RunRecording& run, ProbeResult result) {
  const auto from_origin = origin(e, run);
  if (!from_origin) {
    return cannot_judge(std::move(result), fmt::format("no fault on {} was injected in this run",
                                                       e.target));
  }
  const std::int64_t from = from_origin->at_ns;
  const std::string& event = from_origin->event;
  for (const auto& delivery : run.alerts.deliveries) {
    if (delivery.at_ns < from || delivery.status != "firing") continue;
    if (!matches(check, delivery.rule, delivery.labels)) continue;
    result = judge(std::move(result), to_seconds(delivery.at_ns - from),
                   fmt::format("Alertmanager delivered {} to the webhook {} after {}",
                               describe_rule(check), seconds(delivery.at_ns - from), event));
    if (result.verdict == ProbeResult::kFail) {
      if (const auto* outage = outage_during(run, from, from + check.within.count(), true)) {
        return not_watching(std::move(result), *outage, run);
      }
    }
    return result;
  }
  if (const auto* outage = outage_during(run, from, from + check.within.count(), true)) {
    return not_watching(std::move(result), *outage, run);
  }
  const std::int64_t watched = std::max<std::int64_t>(run.traffic_end_ns - from, 0);
  return fail(std::move(result), to_seconds(watched),
              fmt::format("no notification for {} reached the webhook in the {} after {} ({} "
                          "notifications in all){}",
                          describe_rule(check), seconds(watched), event,
                          run.alerts.deliveries.size(), rule_known(check, run)));
}

}  // namespace

ProbeResult alert(const Expectation& e, const RunRecording& run) {
  const bool is_silent = e.alert && e.alert->kind == Kind::kSilent;
  auto result = make_result(e, is_silent ? "count" : "s");
  if (!e.alert) return cannot_judge(std::move(result), "probe alert needs an alert check");
  const AlertCheck& check = *e.alert;
  result.target = check.rule.empty() ? e.target : check.rule;
  result.comparison = "at_most";
  result.threshold = is_silent ? 0.0 : std::chrono::duration<double>(check.within).count();
  if (run.alerts.engine.empty()) {
    return cannot_judge(std::move(result), "no alert engine ran in this scenario");
  }
  switch (check.kind) {
    case Kind::kFiresWithin: return fires_within(e, check, run, std::move(result));
    case Kind::kResolvesWithin: return resolves_within(e, check, run, std::move(result));
    case Kind::kSilent: return silent(e, check, run, std::move(result));
    case Kind::kDeliveredWithin: return delivered_within(e, check, run, std::move(result));
  }
  return cannot_judge(std::move(result), "unknown alert check");
}

}  // namespace lbchaos::probes
