// The `alert` probe through the real `lbchaos run`: real haproxy, real backends, real traffic,
// and both alert engines — the embedded evaluator and a real Prometheus + Alertmanager.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/fault_journal.h"

namespace lbchaos::test_support {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kAlerting = std::filesystem::path(LBCHAOS_TEST_DATA) /
                                        "integration" / "alerting";

const nlohmann::json& probe(const nlohmann::json& scenario, std::size_t index) {
  return scenario.at("probes").at(index);
}

std::string verdict(const nlohmann::json& scenario, std::size_t index) {
  return probe(scenario, index).at("verdict").get<std::string>();
}

std::string detail(const nlohmann::json& scenario, std::size_t index) {
  return probe(scenario, index).at("detail").get<std::string>();
}

bool has_executable(const std::string& name) {
  return !run_command("command -v " + name + " 2>/dev/null").empty();
}

// Every alert state change in the journal, for failure messages.
std::string alert_events(const nlohmann::json& scenario) {
  return scenario.at("alerts").dump(1);
}

TEST(Alerting, EmbeddedServerDownFiresAfterAKillAndResolvesAfterTheRestart) {
  const auto run = run_checked_scenario(kAlerting / "kill.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  EXPECT_EQ(s.at("alerts").at("engine"), "embedded");
  EXPECT_EQ(verdict(s, 0), "pass") << detail(s, 0);
  EXPECT_THAT(detail(s, 0), HasSubstr("server=web1"));
  // Firing lands after haproxy's own DOWN, and within detection + for (0) + a scrape (1 s).
  const double fired = probe(s, 0).at("measured");
  EXPECT_GT(fired, 0.0);
  EXPECT_EQ(verdict(s, 1), "pass") << detail(s, 1);
  EXPECT_EQ(verdict(s, 2), "pass") << detail(s, 2);
  // The timeline shows the alert firing while web1 was down, and not at the end.
  const auto& buckets = s.at("timeline").at("buckets");
  const auto server_down_firing = [](const nlohmann::json& bucket) {
    const auto& firing = bucket.at("alerts_firing");
    return std::any_of(firing.begin(), firing.end(), [](const nlohmann::json& name) {
      return name.get<std::string>().starts_with("HaproxyServerDown");
    });
  };
  EXPECT_TRUE(std::any_of(buckets.begin(), buckets.end(), server_down_firing)) << alert_events(s);
  EXPECT_FALSE(server_down_firing(buckets.back())) << alert_events(s);
  EXPECT_EQ(run.leftover_processes, 0u);
  EXPECT_TRUE(run.files_unchanged);
}

TEST(Alerting, EmbeddedSteadyRunIsSilent) {
  const auto run = run_checked_scenario(kAlerting / "steady.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(verdict(run.scenario, 0), "pass") << alert_events(run.scenario);
  EXPECT_TRUE(run.scenario.at("alerts").at("events").empty()) << alert_events(run.scenario);
}

TEST(Alerting, ARuleWithAWrongLabelFailsFiresWithinNamingTheRule) {
  const auto run = run_checked_scenario(kAlerting / "wrong-label.toml");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_FALSE(run.scenario.is_null()) << run.output;
  EXPECT_EQ(verdict(run.scenario, 0), "pass") << detail(run.scenario, 0);
  EXPECT_EQ(verdict(run.scenario, 1), "fail");
  EXPECT_THAT(detail(run.scenario, 1), HasSubstr("ServerDownTypo never fired"));
  EXPECT_THAT(run.output, HasSubstr("ServerDownTypo"));
}

TEST(Alerting, ARuleFiringInSteadyStateFailsSilentNamingIt) {
  const auto run = run_checked_scenario(kAlerting / "noisy.toml");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_FALSE(run.scenario.is_null()) << run.output;
  EXPECT_EQ(verdict(run.scenario, 0), "pass") << detail(run.scenario, 0);
  EXPECT_EQ(verdict(run.scenario, 1), "fail");
  EXPECT_THAT(detail(run.scenario, 1), HasSubstr("ServerUpIsNotAnIncident{"));
  EXPECT_EQ(probe(run.scenario, 1).at("measured"), 3);  // one per UP server
}

TEST(Alerting, ABrokenTomlRulesFileIsExit2WithFileLineColumnAndNothingStarts) {
  TempDir dir;
  LbchaosProcess lbchaos({"run", (kAlerting / "broken-rules-scenario.toml").string()}, dir.path());
  EXPECT_EQ(lbchaos.exit_code(), 2) << lbchaos.output();
  EXPECT_THAT(lbchaos.output(), HasSubstr("broken-rules.toml:5:7: for: \"soon\" is not a duration"));
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
}

TEST(Alerting, CheckRejectsABrokenTomlRulesFile) {
  TempDir dir;
  LbchaosProcess lbchaos({"check", (kAlerting / "broken-rules-scenario.toml").string()},
                         dir.path());
  EXPECT_EQ(lbchaos.exit_code(), 2) << lbchaos.output();
  EXPECT_THAT(lbchaos.output(), HasSubstr("broken-rules.toml:5:7:"));
}

class PrometheusAlerting : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!has_executable("prometheus") || !has_executable("promtool") ||
        !has_executable("prometheus-alertmanager")) {
      if (std::getenv("CI") != nullptr) {
        FAIL() << "prometheus, promtool and prometheus-alertmanager must be installed in CI "
                  "(scripts/setup.sh installs them)";
      }
      GTEST_SKIP() << "prometheus / prometheus-alertmanager not installed";
    }
  }
};

TEST_F(PrometheusAlerting, ThePromQLRuleFiresIsDeliveredAndResolves) {
  const auto run = run_checked_scenario(kAlerting / "prometheus-kill.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  EXPECT_EQ(s.at("alerts").at("engine"), "prometheus");
  EXPECT_EQ(verdict(s, 0), "pass") << detail(s, 0);
  EXPECT_EQ(verdict(s, 1), "pass") << detail(s, 1);
  EXPECT_THAT(detail(s, 1), HasSubstr("Alertmanager delivered"));
  EXPECT_EQ(verdict(s, 2), "pass") << detail(s, 2);
  EXPECT_FALSE(s.at("alerts").at("deliveries").empty());
  // Prometheus and Alertmanager are nodes of the run: none outlives it.
  EXPECT_EQ(run.leftover_processes, 0u);
  EXPECT_TRUE(run.files_unchanged);
}

TEST_F(PrometheusAlerting, ABrokenPromQLFileIsExit2WithPromtoolsMessage) {
  TempDir dir;
  LbchaosProcess lbchaos({"run", (kAlerting / "prometheus-broken-scenario.toml").string()},
                         dir.path());
  EXPECT_EQ(lbchaos.exit_code(), 2) << lbchaos.output();
  EXPECT_THAT(lbchaos.output(), HasSubstr("broken.rules.yml"));
  EXPECT_THAT(lbchaos.output(), HasSubstr("could not parse expression"));
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
}

TEST_F(PrometheusAlerting, NoPrometheusOrAlertmanagerSurvivesASigkilledHarness) {
  TempDir dir;
  LbchaosProcess lbchaos({"run", (kAlerting / "prometheus-kill.toml").string()}, dir.path());
  // Wait until Prometheus and Alertmanager run (they are nodes of the run), then SIGKILL.
  const auto monitoring_running = [&] {
    const std::string ps = run_command("ps -eo args");
    return ps.find(dir.path().string()) != std::string::npos &&
           ps.find("prometheus-alertmanager") != std::string::npos &&
           ps.find("--storage.tsdb.path=" + dir.path().string()) != std::string::npos;
  };
  ASSERT_TRUE(eventually(monitoring_running, std::chrono::seconds(60))) << lbchaos.output();
  lbchaos.signal(SIGKILL);
  lbchaos.wait(std::chrono::seconds(10));
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); },
                         std::chrono::seconds(10)));
}

}  // namespace
}  // namespace lbchaos::test_support
