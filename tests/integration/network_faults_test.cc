// Network faults through the built-in fault proxy, as `lbchaos run` does them: real haproxy,
// real backends, real traffic. Bounds are lower bounds (what was injected) or generous
// proportions; the journal is read the way a user would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <regex>
#include <utility>
#include <vector>

#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/user_files.h"
#include "tests/integration/support/scenario_run.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;
using nlohmann::json;

const std::string kNetwork = std::string(LBCHAOS_TEST_DATA) + "/integration/network/";

// What `lbchaos run --json --keep` left: the journal's scenario and haproxy's syslog.
struct RunOutput {
  json scenario;
  std::string haproxy_log;  // lb0's syslog, as haproxy sent it to the harness
  std::size_t leftover_processes = 0;
};

// Runs one scenario through the fixture, keeping its run directory (inside the fixture's temp
// dir, removed afterwards) to read haproxy's syslog.
RunOutput run_network_scenario(const std::string& file, int expected_exit = 0) {
  const auto run = run_scenario({.scenario = kNetwork + file, .keep = true});
  EXPECT_EQ(run.exit_code, expected_exit) << run.output;
  EXPECT_TRUE(run.files_unchanged) << file;
  RunOutput out;
  out.scenario = run.scenario;
  out.leftover_processes = run.leftover_processes;
  for (const auto& run_dir : run.run_directories) {
    out.haproxy_log += read_file(run_dir / "lb0" / "syslog.log");
  }
  return out;
}

// The timeline buckets whose start is in [from_s, to_s).
std::vector<json> buckets_between(const json& scenario, double from_s, double to_s) {
  std::vector<json> out;
  for (const auto& b : scenario["timeline"]["buckets"]) {
    const double t = b["t_s"].get<double>();
    if (t >= from_s && t < to_s) out.push_back(b);
  }
  return out;
}

// Median of the per-bucket medians in [from_s, to_s) (buckets where something succeeded).
double median_p50(const json& scenario, double from_s, double to_s) {
  std::vector<double> p50s;
  for (const auto& b : buckets_between(scenario, from_s, to_s)) {
    if (!b["p50_s"].is_null()) p50s.push_back(b["p50_s"].get<double>());
  }
  if (p50s.empty()) return -1;
  std::sort(p50s.begin(), p50s.end());
  return p50s[p50s.size() / 2];
}

std::int64_t sum_of(const std::vector<json>& buckets, const std::function<std::int64_t(const json&)>& f) {
  std::int64_t total = 0;
  for (const auto& b : buckets) total += f(b);
  return total;
}

std::int64_t errors_of(const json& bucket) {
  std::int64_t n = 0;
  for (const auto& [name, count] : bucket["errors"].items()) n += count.get<std::int64_t>();
  return n;
}

// The first haproxy event for `server` entering `state` at or after `after_s`.
std::optional<json> event(const json& scenario, const std::string& server, const std::string& state,
                          double after_s) {
  for (const auto& e : scenario["haproxy_events"]) {
    if (e["server"] == server && e["state"] == state && e["at_s"].get<double>() >= after_s) return e;
  }
  return std::nullopt;
}

// The detection probe's prediction from the topology's check timings ("predicted 0.20–0.40 s").
std::optional<std::pair<double, double>> predicted_range(const std::string& detail) {
  const std::regex pattern("predicted ([0-9.]+)\u2013([0-9.]+) s");
  std::smatch match;
  if (!std::regex_search(detail, match, pattern)) return std::nullopt;
  return std::make_pair(std::stod(match[1]), std::stod(match[2]));
}

TEST(Network, LatencyShowsInTheMedianAndGoesAwayAfterHeal) {
  const RunOutput run = run_network_scenario("latency.toml");
  const json& scenario = run.scenario;
  ASSERT_TRUE(scenario.contains("fault_events")) << scenario.dump(2);
  const auto& fault = scenario["fault_events"][0];
  EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("latency 100ms"));
  const double injected = fault["injected_at_s"].get<double>();
  const double healed = fault["healed_at_s"].get<double>();

  const double before = median_p50(scenario, 1.0, injected);
  const double during = median_p50(scenario, injected + 0.2, healed - 0.1);
  const double after = median_p50(scenario, healed + 0.3, 6.0);
  RecordProperty("p50_before_s", std::to_string(before));
  RecordProperty("p50_during_s", std::to_string(during));
  RecordProperty("p50_after_s", std::to_string(after));
  // Every response crosses the proxy down: none can be faster than the latency added.
  EXPECT_GE(during, 0.100);
  // Before and after, the median is far below the injected latency.
  EXPECT_GE(before, 0);
  EXPECT_LT(before, 0.05);
  EXPECT_GE(after, 0);
  EXPECT_LT(after, 0.05);
  EXPECT_GE(probe(scenario, "latency", "fault")["measured"].get<double>(), 0.100);
  EXPECT_LT(probe(scenario, "latency", "recovery")["measured"].get<double>(), 0.05);
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(Network, ResetTakesWeb1DownAndTrafficMovesToWeb2) {
  const RunOutput run = run_network_scenario("reset.toml");
  const json& scenario = run.scenario;
  ASSERT_TRUE(scenario.contains("fault_events")) << scenario.dump(2);
  const auto& fault = scenario["fault_events"][0];
  EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("reset"));
  const double injected = fault["injected_at_s"].get<double>();
  const double healed = fault["healed_at_s"].get<double>();

  // Checks get an RST at once: web1 is DOWN within U[0, inter] + (fall-1) x fastinter, as the
  // detection probe predicts from the topology, plus generous slack for a busy machine; and in
  // any case before the heal.
  const auto down = event(scenario, "app/web1", "DOWN", injected);
  ASSERT_TRUE(down.has_value()) << scenario["haproxy_events"].dump(2);
  EXPECT_THAT(run.haproxy_log, HasSubstr("Health check for server app/web1 failed, reason: "
                                         "Socket error, info: \"Connection reset by peer\""));
  const auto& detection = probe(scenario, "detection_time");
  const auto predicted = predicted_range(detection["detail"].get<std::string>());
  ASSERT_TRUE(predicted.has_value()) << detection["detail"];
  const double took = (*down)["at_s"].get<double>() - injected;
  EXPECT_LT(took, 2 * predicted->second + 0.5);
  EXPECT_LT((*down)["at_s"].get<double>(), healed);
  EXPECT_GE(detection["measured"].get<double>(), predicted->first - 0.02);

  // Once DOWN, everything that succeeds comes from web2.
  const auto window = buckets_between(scenario, (*down)["at_s"].get<double>() + 0.2, healed);
  const auto web1 = sum_of(window, [](const json& b) { return b["servers"].value("app/web1", 0); });
  const auto web2 = sum_of(window, [](const json& b) { return b["servers"].value("app/web2", 0); });
  EXPECT_EQ(web1, 0);
  EXPECT_GT(web2, 0);

  // haproxy treats an RST right after connect as a failed connection attempt and sends the
  // request to web2, so only requests already on web1's open connections can fail (0-2 of
  // 1200 measured). Generous: under a tenth of the fault window.
  const auto fault_window = buckets_between(scenario, injected, healed);
  const auto errors = sum_of(fault_window, errors_of);
  const auto sent_in_fault = sum_of(fault_window, [](const json& b) { return b["sent"].get<std::int64_t>(); });
  RecordProperty("errors_during_reset", std::to_string(errors));
  EXPECT_LT(errors * 10, sent_in_fault);
  EXPECT_TRUE(event(scenario, "app/web1", "UP", healed).has_value());
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(Network, BlackholeIsCaughtByCheckTimeoutsAndTrafficFailsOver) {
  const RunOutput run = run_network_scenario("blackhole.toml");
  const json& scenario = run.scenario;
  ASSERT_TRUE(scenario.contains("fault_events")) << scenario.dump(2);
  const auto& fault = scenario["fault_events"][0];
  EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("blackhole"));
  const double injected = fault["injected_at_s"].get<double>();
  const double healed = fault["healed_at_s"].get<double>();

  // The proxy still accepts, so only a check timing out can tell: DOWN after at least
  // fall (2) x timeout check (200ms), with haproxy saying it timed out.
  const auto down = event(scenario, "app/web1", "DOWN", injected);
  ASSERT_TRUE(down.has_value()) << scenario["haproxy_events"].dump(2);
  EXPECT_THAT(run.haproxy_log,
              HasSubstr("Health check for server app/web1 failed, reason: Layer7 timeout"));
  EXPECT_THAT(run.haproxy_log, ::testing::Not(HasSubstr("Connection refused")));
  const double detection = probe(scenario, "detection_time")["measured"].get<double>();
  RecordProperty("detection_s", std::to_string(detection));
  EXPECT_GE(detection, 2 * 0.2 - 0.02);
  EXPECT_THAT(probe(scenario, "detection_time")["detail"].get<std::string>(),
              HasSubstr("predicted"));

  // Failover: from shortly after DOWN until the heal, only web2 answers, and it answers most.
  const double down_at = (*down)["at_s"].get<double>();
  const auto window = buckets_between(scenario, down_at + 0.2, healed);
  const auto web1 = sum_of(window, [](const json& b) { return b["servers"].value("app/web1", 0); });
  const auto web2 = sum_of(window, [](const json& b) { return b["servers"].value("app/web2", 0); });
  const auto sent = sum_of(window, [](const json& b) { return b["sent"].get<std::int64_t>(); });
  EXPECT_EQ(web1, 0);
  EXPECT_GE(web2, sent * 9 / 10);
  // Requests sent to web1 before it was DOWN hang until timeout server: that is the cost.
  const auto lost = sum_of(buckets_between(scenario, injected, down_at), errors_of);
  RecordProperty("errors_before_down", std::to_string(lost));
  EXPECT_GT(lost, 0);

  // After the heal web1 is checked UP again.
  EXPECT_TRUE(event(scenario, "app/web1", "UP", healed).has_value());
  EXPECT_EQ(run.leftover_processes, 0U);
}

}  // namespace
}  // namespace lbchaos
