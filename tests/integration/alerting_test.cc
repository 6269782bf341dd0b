// The `alert` probe through the real `lbchaos run`: real haproxy, real backends, real traffic,
// and both alert engines — the embedded evaluator and a real Prometheus + Alertmanager.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
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

// at_s of the first entry of `events` (a journal array) that `wanted` accepts.
std::optional<double> first_at(const nlohmann::json& events,
                               const std::function<bool(const nlohmann::json&)>& wanted) {
  for (const auto& event : events) {
    if (wanted(event)) return event.at("at_s").get<double>();
  }
  return std::nullopt;
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
  // Firing lands after haproxy's own DOWN, within the rule's `for` (0 s) + one scrape interval
  // (1 s) of it, + 1 s for a loaded machine.
  const double fired = probe(s, 0).at("measured");
  EXPECT_GT(fired, 0.0);
  const auto down_at = first_at(s.at("haproxy_events"), [](const nlohmann::json& event) {
    return event.at("server") == "app/web1" && event.at("state") == "DOWN";
  });
  const auto firing_at = first_at(s.at("alerts").at("events"), [](const nlohmann::json& event) {
    return event.at("rule") == "HaproxyServerDown" && event.at("state") == "firing" &&
           event.at("labels").value("server", "") == "web1";
  });
  ASSERT_TRUE(down_at) << s.at("haproxy_events").dump(1);
  ASSERT_TRUE(firing_at) << alert_events(s);
  // Stamped at the start of the scrape round that saw it, which may begin a moment before
  // haproxy's log line about the DOWN reaches the harness.
  EXPECT_GE(*firing_at - *down_at, -0.25);
  EXPECT_LE(*firing_at - *down_at, 0.0 + 1.0 + 1.0) << alert_events(s);
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

// The pid of the run's `prometheus` (not prometheus-alertmanager), or -1.
pid_t prometheus_of_run(const std::filesystem::path& dir) {
  for (const pid_t pid : processes_of_run(dir.string())) {
    const std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    const std::string program = cmdline.substr(0, cmdline.find('\0'));
    if (std::filesystem::path(program).filename() == "prometheus") return pid;
  }
  return -1;
}

TEST_F(PrometheusAlerting, APrometheusKilledMidRunMakesSilentAnErrorNamingTheOutage) {
  const UserFiles files({kAlerting});
  TempDir dir;
  LbchaosProcess lbchaos({"run", (kAlerting / "prometheus-dies.toml").string(), "--json",
                          (dir / "journal.json").string()},
                         dir.path());
  // The engine is watching (its poll loop runs) once this is logged; traffic starts next.
  ASSERT_TRUE(eventually([&] { return lbchaos.err().find("prometheus scraping every target") !=
                                          std::string::npos ||
                                      lbchaos.wait(0ms).has_value(); },
                         std::chrono::seconds(60)))
      << lbchaos.output();
  const pid_t prometheus = prometheus_of_run(dir.path());
  ASSERT_GT(prometheus, 0) << lbchaos.output();
  ASSERT_EQ(::kill(prometheus, SIGKILL), 0);

  EXPECT_EQ(lbchaos.exit_code(std::chrono::seconds(120)), 1) << lbchaos.output();
  const std::string text = read_file(dir / "journal.json");
  ASSERT_FALSE(text.empty()) << lbchaos.output();
  const auto s = nlohmann::json::parse(text)["scenarios"][0];
  EXPECT_EQ(verdict(s, 0), "error") << detail(s, 0);
  EXPECT_THAT(detail(s, 0), HasSubstr("the alert engine was not watching: prometheus did not "
                                      "answer from"));
  EXPECT_THAT(detail(s, 0), HasSubstr(fmt::format("prometheus (pid {}) exited: killed by SIGKILL",
                                                  prometheus)));
  const auto& outages = s.at("alerts").at("outages");
  ASSERT_EQ(outages.size(), 1u) << alert_events(s);
  EXPECT_EQ(outages[0].at("component"), "prometheus");
  EXPECT_TRUE(outages[0].at("until_s").is_null()) << "it never answered again";
  EXPECT_LT(outages[0].at("from_s").get<double>(), 8.0) << "killed during the traffic";
  EXPECT_THAT(lbchaos.output(), HasSubstr("prometheus does not answer"));
  // The run tore down as usual: nothing of it is left, Alertmanager included.
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); },
                         std::chrono::seconds(2)));
  EXPECT_TRUE(unchanged(files));
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
