// `lbchaos run` as CI runs it: real haproxy and backends, real traffic, real faults; verdicts
// that can pass and verdicts that must fail; the JSON journal and JUnit XML a pipeline reads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <optional>
#include <regex>

#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/scenario_run.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kScenarios = std::string(LBCHAOS_TEST_DATA) + "/integration/scenarios/";

// Allowances around haproxy's predicted detection range (see the detection test).
constexpr double kTimerGrain = 0.02;              // s: haproxy's check timers tick in ms
constexpr double kDetectionPathAllowance = 0.3;   // s: syslog over loopback + thread wake-up

struct SecondsRange {
  double low = 0;
  double high = 0;
};

// The range in a detection_time detail: "... (predicted 0.20–0.40 s)".
std::optional<SecondsRange> predicted_range(const std::string& detail) {
  static const std::regex kPredicted(R"(\(predicted ([0-9.]+)–([0-9.]+) s\))");
  std::smatch match;
  if (!std::regex_search(detail, match, kPredicted)) return std::nullopt;
  return SecondsRange{std::stod(match[1]), std::stod(match[2])};
}

TEST(Run, KillBehindFastChecksIsDetectedWithinHaproxysPredictionAndPasses) {
  TempDir dir;
  LbchaosProcess lbchaos({"run", kScenarios + "kill_fast_checks.toml", "--json",
                          (dir / "journal.json").string(), "--junit", (dir / "junit.xml").string()},
                         dir.path());
  EXPECT_EQ(lbchaos.exit_code(120s), 0) << lbchaos.output();
  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  const auto& scenario = journal["scenarios"][0];
  EXPECT_EQ(scenario["outcome"], "passed");

  // inter 200ms, fall 2: haproxy predicts DOWN after U[0, inter] + (fall-1) x fastinter =
  // 0.20-0.40 s, and the probe's detail says so. The measurement must land in that range, with
  // kDetectionPathAllowance on top for the syslog datagram and the harness's thread to be
  // scheduled on a busy machine, and kTimerGrain below for haproxy's millisecond timers.
  const auto& detection_probe = probe(scenario, "detection_time");
  const auto predicted = predicted_range(detection_probe["detail"].get<std::string>());
  ASSERT_TRUE(predicted) << detection_probe["detail"];
  EXPECT_NEAR(predicted->low, 0.2, 1e-9);
  EXPECT_NEAR(predicted->high, 0.4, 1e-9);
  const double detection = detection_probe["measured"].get<double>();
  EXPECT_GE(detection, predicted->low - kTimerGrain) << detection_probe["detail"];
  EXPECT_LE(detection, predicted->high + kDetectionPathAllowance) << detection_probe["detail"];

  // The journal has what DESIGN.md promises.
  for (const char* key : {"scenario", "topology", "seed", "haproxy_version", "config_sha256",
                          "fault_events", "haproxy_events", "timeline", "probes"}) {
    EXPECT_TRUE(scenario.contains(key)) << key;
  }
  EXPECT_THAT(scenario["haproxy_version"].get<std::string>(), HasSubstr("HAProxy version"));
  // Injected on schedule (never early), then web1 went DOWN, then the heal.
  const auto& fault = scenario["fault_events"][0];
  const double injected = fault["injected_at_s"].get<double>();
  EXPECT_GE(injected, scenario["scenario"]["faults"][0]["at_s"].get<double>());
  EXPECT_GT(fault["healed_at_s"].get<double>(), injected);
  bool saw_down = false;
  for (const auto& e : scenario["haproxy_events"]) {
    if (e["server"] == "app/web1" && e["state"] == "DOWN") {
      saw_down = true;
      EXPECT_GT(e["at_s"].get<double>(), injected) << e;
    }
  }
  EXPECT_TRUE(saw_down);
  for (const auto& p : scenario["probes"]) {
    for (const char* key : {"probe", "target", "measured", "threshold", "unit", "verdict"}) {
      EXPECT_TRUE(p.contains(key)) << key;
    }
  }
  EXPECT_EQ(journal["summary"]["passed"], 5);
  EXPECT_EQ(journal["summary"]["failed"], 0);

  // The JUnit file is valid XML with one testcase per probe.
  const std::string count = run_command(
      "python3 -c 'import sys, xml.etree.ElementTree as E; "
      "print(len(E.parse(sys.argv[1]).getroot().findall(\".//testcase\")))' " +
      (dir / "junit.xml").string());
  EXPECT_EQ(count, "5\n");
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
}

TEST(Run, KillWithoutChecksOrRedispatchFailsAvailabilityAndExitsOne) {
  TempDir dir;
  LbchaosProcess lbchaos({"run", kScenarios + "kill_no_checks.toml", "--json",
                          (dir / "journal.json").string(), "--junit", (dir / "junit.xml").string()},
                         dir.path());
  EXPECT_EQ(lbchaos.exit_code(120s), 1) << lbchaos.output();
  EXPECT_THAT(lbchaos.out(), HasSubstr("FAIL"));
  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  const auto& availability = probe(journal["scenarios"][0], "availability");
  EXPECT_EQ(availability["verdict"], "fail");
  EXPECT_LT(availability["measured"].get<double>(), 0.99);
  EXPECT_EQ(probe(journal["scenarios"][0], "error_count")["verdict"], "fail");
  EXPECT_THAT(read_file(dir / "junit.xml"), HasSubstr("<failure message=\"measured"));
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
}

TEST(Run, CtrlCHealsTearsDownAndStillWritesResults) {
  TempDir dir;
  LbchaosProcess lbchaos({"run", kScenarios + "long_steady.toml", "--json",
                          (dir / "journal.json").string(), "--junit", (dir / "junit.xml").string()},
                         dir.path());
  // Wait until the fault is in: web2's process is gone from the run.
  ASSERT_TRUE(eventually([&] { return lbchaos.err().find("fault: kill app/web2") != std::string::npos; }, 30s))
      << lbchaos.output();
  lbchaos.signal(SIGINT);
  EXPECT_EQ(lbchaos.exit_code(30s), 1) << lbchaos.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s));
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  const auto& scenario = journal["scenarios"][0];
  EXPECT_EQ(scenario["outcome"], "interrupted");
  EXPECT_THAT(lbchaos.out(), HasSubstr("0 of 1 scenario(s) passed, 1 interrupted"));
  EXPECT_FALSE(scenario["fault_events"][0]["healed_at_s"].is_null()) << "the kill was not healed";
  EXPECT_THAT(scenario["fault_events"][0]["detail"].get<std::string>(), HasSubstr("healed"));

  // Its partial probes may pass, but CI must show the run red: an <error> testcase says why.
  EXPECT_EQ(probe(scenario, "availability")["verdict"], "pass") << "availability >= 50%";
  const std::string junit = read_file(dir / "junit.xml");
  EXPECT_THAT(junit, HasSubstr("name=\"interrupted\""));
  EXPECT_THAT(junit, ::testing::ContainsRegex(
                         "<error type=\"interrupted\" message=\"interrupted \\(SIGINT or "
                         "SIGTERM\\) after [0-9.]+ s of its 60.0 s of traffic"));
  const std::string errors = run_command(
      "python3 -c 'import sys, xml.etree.ElementTree as E; "
      "print(E.parse(sys.argv[1]).getroot().get(\"errors\"))' " +
      (dir / "junit.xml").string());
  EXPECT_EQ(errors, "1\n") << junit;
}

TEST(Run, ScenarioThatCannotStartIsAnErrorWithExitThree) {
  TempDir dir;
  LbchaosProcess lbchaos(
      {"run", kScenarios + "unstartable.toml", "--junit", (dir / "junit.xml").string()},
      dir.path());
  EXPECT_EQ(lbchaos.exit_code(60s), 3) << lbchaos.output();
  EXPECT_THAT(lbchaos.out(), HasSubstr("could not run"));
  EXPECT_THAT(read_file(dir / "junit.xml"), HasSubstr("<error message="));
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
}

TEST(Run, MalformedScenarioIsExitTwoBeforeAnythingStarts) {
  TempDir dir;
  const std::string corpus = std::string(LBCHAOS_TEST_DATA) + "/malformed_scenarios";
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    if (entry.path().extension() != ".toml") continue;
    LbchaosProcess lbchaos({"run", entry.path().string()}, dir.path());
    EXPECT_EQ(lbchaos.exit_code(), 2) << entry.path() << "\n" << lbchaos.output();
    EXPECT_THAT(lbchaos.err(), ::testing::ContainsRegex(":[0-9]+:[0-9]+: ")) << entry.path();
  }
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

}  // namespace
}  // namespace lbchaos
