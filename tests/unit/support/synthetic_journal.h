#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

// A journal as `lbchaos run --json` writes it, generated instead of recorded: one scenario of
// `seconds` of traffic at `rate` req/s over three servers, with web1 killed from kill_at_s for
// 300 s (haproxy marks it DOWN 1.2 s later), one bucket of 50 refused requests (at most half the bucket) at spike_at_s,
// an alert that goes pending, fires and resolves, and two reloads (one refused).
namespace lbchaos::test_support {

struct SyntheticRun {
  double seconds = 3600;
  double rate = 1000;
  double kill_at_s = 600;
  double spike_at_s = 1800.3;
};

inline nlohmann::json synthetic_scenario(const SyntheticRun& run, const std::string& name) {
  using nlohmann::json;
  const double bucket_s = 0.1;
  const auto buckets_n = static_cast<std::int64_t>(run.seconds / bucket_s);
  const auto per_bucket = static_cast<std::int64_t>(run.rate * bucket_s);
  const double heal_s = run.kill_at_s + 300;
  json buckets = json::array();
  const auto spike_bucket = static_cast<std::int64_t>(run.spike_at_s / bucket_s);
  for (std::int64_t i = 0; i < buckets_n; ++i) {
    const double t = static_cast<double>(i) * bucket_s;
    const bool web1_down = t >= run.kill_at_s + 1.2 && t < heal_s + 2;
    const bool spike = i == spike_bucket;
    const std::int64_t refused = spike ? std::min<std::int64_t>(50, per_bucket / 2) : 0;
    const std::int64_t ok = per_bucket - refused;
    const std::int64_t web1 = web1_down ? 0 : ok / 3;
    const std::int64_t web2 = (ok - web1) / 2;
    buckets.push_back({{"t_s", t},
                       {"sent", per_bucket},
                       {"ok", ok},
                       {"errors", {{"refused", refused}, {"reset", 0}, {"timeout", 0},
                                   {"dropped", 0}, {"5xx", 0}, {"other", 0}}},
                       {"p50_s", 0.002 + 0.0001 * static_cast<double>(i % 7)},
                       {"p99_s", spike ? 0.9 : 0.008 + 0.001 * static_cast<double>(i % 5)},
                       {"servers", {{"app/web1", web1}, {"app/web2", web2},
                                    {"app/web3", ok - web1 - web2}}},
                       {"instances", {{"lb0", ok}}},
                       {"alerts_firing", json::array()}});
  }
  json probes = json::array();
  probes.push_back({{"probe", "availability"}, {"target", ""}, {"window", "all"},
                    {"measured", 0.9999}, {"threshold", 0.999}, {"comparison", "at_least"},
                    {"unit", "ratio"}, {"verdict", "pass"}, {"detail", "all but 50 answered"}});
  probes.push_back({{"probe", "failover_time"}, {"target", "app/web1"}, {"window", "fault"},
                    {"measured", 1.4}, {"threshold", 1.0}, {"comparison", "at_most"},
                    {"unit", "s"}, {"verdict", "fail"},
                    {"detail", "web1 kept receiving traffic for 1.4 s"}});
  return {
      {"scenario", {{"name", name}, {"file", "/suite/" + name + ".toml"},
                    {"description", "synthetic"},
                    {"traffic", {{"rate", run.rate}, {"duration_s", run.seconds}}},
                    {"faults", json::array()}, {"expectations", json::array()}}},
      {"topology", {{"name", "synthetic"}}},
      {"outcome", "failed"},
      {"seed", 7},
      {"haproxy_version", "2.6.12"},
      {"config_sha256", {{"/run/haproxy.cfg", std::string(64, 'a')}}},
      {"wall_seconds", run.seconds + 3},
      {"requests", buckets_n * per_bucket},
      {"fault_plan", json::array()},
      {"fault_events", {{{"action", "kill"}, {"target", "app/web1"},
                         {"injected_at_s", run.kill_at_s}, {"healed_at_s", heal_s},
                         {"detail", "SIGKILL to process group 4242"}}}},
      {"haproxy_events", {{{"at_s", run.kill_at_s + 1.2}, {"instance", 0}, {"server", "app/web1"},
                           {"state", "DOWN"}, {"reason", "Layer4 connection problem"}},
                          {{"at_s", heal_s + 2}, {"instance", 0}, {"server", "app/web1"},
                           {"state", "UP"}, {"reason", "Layer7 check passed"}}}},
      {"reload_events", {{{"at_s", 100.0}, {"instance", 0}, {"accepted", true},
                          {"old_worker_kept", false}, {"detail", "new worker 2"}},
                         {{"at_s", 200.0}, {"instance", 0}, {"accepted", false},
                          {"old_worker_kept", true}, {"detail", "config refused"}}}},
      {"alerts", {{"engine", "embedded"}, {"rules", json::array()},
                  {"events", {{{"at_s", run.kill_at_s + 1.5}, {"rule", "HaproxyServerDown"},
                               {"labels", {{"server", "web1"}}}, {"state", "pending"}, {"summary", ""}},
                              {{"at_s", run.kill_at_s + 2.5}, {"rule", "HaproxyServerDown"},
                               {"labels", {{"server", "web1"}}}, {"state", "firing"}, {"summary", ""}},
                              {{"at_s", heal_s + 3}, {"rule", "HaproxyServerDown"},
                               {"labels", {{"server", "web1"}}}, {"state", "resolved"}, {"summary", ""}}}},
                  {"deliveries", json::array()}, {"outages", json::array()}}},
      {"probes", probes},
      {"aborted", nullptr},
      {"timeline", {{"bucket_s", bucket_s}, {"servers", {"app/web1", "app/web2", "app/web3"}},
                    {"records_outside", 0}, {"buckets", buckets}}}};
}

inline nlohmann::json synthetic_journal(const SyntheticRun& run) {
  return {{"tool", "lbchaos"},
          {"command_line", "lbchaos run suite/ --html report.html"},
          {"scenarios", {synthetic_scenario(run, "one-hour-game-day")}},
          {"summary", {{"passed", 1}, {"failed", 1}, {"errors", 0}}}};
}

}  // namespace lbchaos::test_support
