#include "harness/report/json_journal.h"

#include <cmath>
#include <fstream>

#include "faults/catalogue.h"
#include "harness/common/errors.h"
#include "harness/model/timeline.h"

namespace lbchaos::report {

namespace {

using nlohmann::json;

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

// A fault as written or drawn: exact (integer ns) as well as readable, so a replay with the same
// seed can be compared exactly.
json fault_spec_json(const scenario::FaultSpec& f) {
  return {{"action", f.action},
          {"target", f.target},
          {"at_s", seconds(f.at)},
          {"at_ns", f.at.count()},
          {"heal_after_s", f.heal_after ? json(seconds(*f.heal_after)) : json(nullptr)},
          {"heal_after_ns", f.heal_after ? json(f.heal_after->count()) : json(nullptr)},
          {"params", faults::journal_params(f)}};
}

json scenario_as_run(const scenario::Scenario& s) {
  json faults = json::array();
  for (const auto& f : s.faults) faults.push_back(fault_spec_json(f));
  json expectations = json::array();
  for (const auto& e : s.expectations) {
    json entry{{"probe", e.probe}, {"during", scenario::to_string(e.during)}, {"target", e.target}};
    if (e.at_least) entry["at_least"] = *e.at_least;
    if (e.at_most) entry["at_most"] = *e.at_most;
    if (e.probe == "latency") entry["percentile"] = e.percentile;
    if (e.abort) entry["abort"] = true;
    expectations.push_back(entry);
  }
  const auto& t = s.traffic;
  json traffic{{"rate", t.rate}, {"duration_s", seconds(t.duration)},
               {"warmup_s", seconds(t.warmup)}, {"clients", t.clients},
               {"max_connections", t.max_connections}, {"timeout_s", seconds(t.timeout)},
               {"paths", t.paths}, {"frontend", t.frontend},
               {"protocol", t.protocol == traffic::Protocol::kTcp ? "tcp" : "http"}};
  if (t.protocol == traffic::Protocol::kTcp) {
    traffic["send"] = t.send;
    traffic["expect"] = t.expect;
  }
  if (!t.requests.empty()) {
    json requests = json::array();
    for (const auto& r : t.requests) {
      json headers = json::object();
      for (const auto& [name, value] : r.headers) headers[name] = value;
      requests.push_back({{"method", r.method}, {"host", r.host}, {"path", r.path},
                          {"headers", headers}, {"body", r.body}, {"weight", r.weight}});
    }
    traffic["requests"] = requests;
  }
  return {{"name", s.name},
          {"file", s.file.string()},
          {"description", s.description},
          {"traffic", traffic},
          {"faults", faults},
          {"expectations", expectations}};
}

json topology_as_run(const topology::Topology& t) {
  json backends = json::array();
  for (const auto& b : t.backends) {
    json servers = json::array();
    for (const auto& s : b.servers) {
      servers.push_back({{"name", s.name}, {"capacity", s.capacity},
                         {"kind", s.is_builtin() ? "builtin" : "command"},
                         {"latency_s", seconds(s.latency)}, {"max_inflight", s.max_inflight}});
    }
    backends.push_back({{"name", b.name}, {"balance", b.balance},
                        {"check", b.check.enabled}, {"servers", servers}});
  }
  return {{"name", t.name},
          {"file", t.file.string()},
          {"instances", t.haproxy.instances},
          {"user_config", t.haproxy.config ? json(t.haproxy.config->string()) : json(nullptr)},
          {"backends", backends}};
}

json number_or_null(double value) { return std::isnan(value) ? json(nullptr) : json(value); }

json scenario_json(const scenario::ScenarioResult& r, const scenario::Scenario& as_run) {
  const auto& rec = r.recording;
  const auto relative = [&](std::int64_t ns) {
    return static_cast<double>(ns - rec.traffic_start_ns) / 1e9;
  };
  json faults = json::array();
  for (const auto& f : rec.faults) {
    json event{{"action", f.action}, {"target", f.target},
               {"injected_at_s", relative(f.injected_ns)}, {"detail", f.detail},
               {"manual", f.manual}};
    if (f.manual) {
      event["id"] = f.id;
      event["actor"] = f.actor;
    }
    // healed_at_s only for a heal that succeeded; a failed one says so, and why.
    if (f.heal_failed) {
      event["heal_failed"] = true;
      event["heal_error"] = f.heal_error;
    } else {
      event["healed_at_s"] = f.healed_ns ? json(relative(*f.healed_ns)) : json(nullptr);
    }
    faults.push_back(std::move(event));
  }
  json plan = json::array();
  for (const auto& f : r.fault_plan) plan.push_back(fault_spec_json(f));
  json events = json::array();
  for (const auto& e : rec.haproxy_events) {
    events.push_back({{"at_s", relative(e.at_ns)}, {"instance", e.instance},
                      {"server", e.server}, {"state", e.state}, {"reason", e.reason}});
  }
  json reloads = json::array();
  for (const auto& e : rec.reloads) {
    reloads.push_back({{"at_s", relative(e.at_ns)}, {"instance", e.instance},
                       {"accepted", e.accepted}, {"old_worker_kept", e.old_worker_kept},
                       {"detail", e.detail}});
  }
  json alert_events = json::array();
  for (const auto& e : rec.alerts.events) {
    alert_events.push_back({{"at_s", relative(e.at_ns)}, {"rule", e.rule}, {"labels", e.labels},
                            {"state", std::string(alerting::to_string(e.state))},
                            {"summary", e.summary}});
  }
  json deliveries = json::array();
  for (const auto& d : rec.alerts.deliveries) {
    deliveries.push_back({{"at_s", relative(d.at_ns)}, {"rule", d.rule}, {"labels", d.labels},
                          {"status", d.status}});
  }
  json outages = json::array();
  for (const auto& o : rec.alerts.outages) {
    outages.push_back({{"component", o.component}, {"from_s", relative(o.from_ns)},
                       {"until_s", o.until_ns ? json(relative(*o.until_ns)) : json(nullptr)},
                       {"why", o.why}});
  }
  json probes = json::array();
  for (const auto& p : r.probes) {
    probes.push_back({{"probe", p.probe}, {"target", p.target}, {"window", p.window},
                      {"measured", number_or_null(p.measured)},
                      {"threshold", p.threshold ? json(*p.threshold) : json(nullptr)},
                      {"comparison", p.comparison}, {"unit", p.unit},
                      {"verdict", std::string(probes::to_string(p.verdict))},
                      {"detail", p.detail}});
  }
  json out{{"scenario", scenario_as_run(as_run)},
           {"topology", topology_as_run(as_run.topology)},
           {"outcome", to_string(r.outcome)},
           {"seed", r.seed},
           {"haproxy_version", r.haproxy_version},
           {"config_sha256", r.config_sha256},
           {"wall_seconds", r.wall_seconds},
           {"requests", rec.records.size()},
           {"coverage", r.coverage.to_json()},
           {"fault_plan", plan},
           {"fault_events", faults},
           {"haproxy_events", events},
           {"reload_events", reloads},
           {"alerts", {{"engine", rec.alerts.engine.empty() ? json(nullptr) : json(rec.alerts.engine)},
                       {"rules", rec.alerts.rules},
                       {"events", alert_events},
                       {"deliveries", deliveries},
                       {"outages", outages}}},
           {"probes", probes}};
  if (r.outcome == scenario::ScenarioResult::Outcome::kError) out["error"] = r.error;
  out["aborted"] = r.abort_reason.empty()
                       ? json(nullptr)
                       : json{{"at_s", r.abort_at_s()}, {"reason", r.abort_reason}};
  if (!rec.records.empty()) out["timeline"] = scenario::Timeline::build(rec).to_json();
  return out;
}

}  // namespace

json journal_json(const std::vector<scenario::ScenarioResult>& results,
                  const std::optional<process::NetworkIsolation>& isolation) {
  json scenarios = json::array();
  int passed = 0, failed = 0, errors = 0;
  for (const auto& r : results) {
    scenarios.push_back(scenario_json(r, *r.scenario));
    passed += r.passed();
    failed += r.failed();
    errors += r.errors() + (r.outcome == scenario::ScenarioResult::Outcome::kError ? 1 : 0);
  }
  json out{{"tool", "lbchaos"},
           {"scenarios", scenarios},
           {"summary", {{"passed", passed}, {"failed", failed}, {"errors", errors}}}};
  if (isolation) {
    out["isolated"] = isolation->isolated;
    out["isolation"] = isolation->why;
  }
  return out;
}

json scenario_journal_json(const scenario::ScenarioResult& result) {
  return scenario_json(result, *result.scenario);
}

json scenario_journal_json(const scenario::ScenarioResult& result, const scenario::Scenario& as_run) {
  return scenario_json(result, as_run);
}

void write_json(const std::filesystem::path& file, const json& journal) {
  std::ofstream out(file, std::ios::trunc);
  out << journal.dump(2) << '\n';
  if (!out.flush()) throw EnvironmentError("cannot write " + file.string());
}

void write_json_journal(const std::filesystem::path& file,
                        const std::vector<scenario::ScenarioResult>& results,
                        const std::optional<process::NetworkIsolation>& isolation) {
  write_json(file, journal_json(results, isolation));
}

}  // namespace lbchaos::report
