#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "harness/common/exit_codes.h"
#include "harness/report/format.h"
#include "harness/report/json_journal.h"
#include "harness/report/junit_report.h"
#include "harness/scenario/result.h"

namespace lbchaos::report {
namespace {

using ::testing::HasSubstr;
using scenario::ScenarioResult;

probes::ProbeResult make_probe(const std::string& name, probes::ProbeResult::Verdict verdict) {
  probes::ProbeResult p;
  p.probe = name;
  p.target = "app/web1";
  p.window = "all";
  p.measured = 0.25;
  p.threshold = 1.0;
  p.comparison = "at_most";
  p.unit = "s";
  p.verdict = verdict;
  p.detail = "web1 <kept> \"receiving\" & failing";
  return p;
}

class ReportTest : public ::testing::Test {
 protected:
  ReportTest() {
    scenario_.name = "kill <web1> & see";
    passing_.scenario = &scenario_;
    passing_.outcome = ScenarioResult::Outcome::kPassed;
    passing_.probes = {make_probe("failover_time", probes::ProbeResult::kPass)};
    failing_.scenario = &scenario_;
    failing_.outcome = ScenarioResult::Outcome::kFailed;
    failing_.probes = {make_probe("detection_time", probes::ProbeResult::kFail),
                       make_probe("distribution", probes::ProbeResult::kError)};
  }
  scenario::Scenario scenario_;
  ScenarioResult passing_;
  ScenarioResult failing_;
};

TEST_F(ReportTest, JunitHasATestcasePerProbeAndEscapesText) {
  const std::string xml = junit_xml({passing_, failing_});
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"lbchaos\" tests=\"3\" failures=\"1\" errors=\"1\">"));
  EXPECT_THAT(xml, HasSubstr("name=\"kill &lt;web1&gt; &amp; see\""));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"measured 250ms vs threshold &lt;= 1.00s\">"));
  EXPECT_THAT(xml, HasSubstr("&quot;receiving&quot;"));
  EXPECT_THAT(xml, ::testing::Not(HasSubstr("<kept>")));
}

TEST_F(ReportTest, ScenarioThatCouldNotRunIsAJunitError) {
  ScenarioResult broken;
  broken.scenario = &scenario_;
  broken.outcome = ScenarioResult::Outcome::kError;
  broken.error = "haproxy not found";
  EXPECT_THAT(junit_xml({broken}), HasSubstr("<error message=\"haproxy not found\"/>"));
}

TEST_F(ReportTest, InterruptedScenarioIsAJunitErrorEvenWhenItsProbesPass) {
  scenario_.traffic.duration = std::chrono::seconds(60);
  ScenarioResult interrupted = passing_;
  interrupted.outcome = ScenarioResult::Outcome::kInterrupted;
  interrupted.recording.traffic_start_ns = 1'000'000'000;
  interrupted.recording.records.resize(2);
  interrupted.recording.records[1].intended_ns = 4'300'000'000;
  const std::string xml = junit_xml({interrupted});
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"lbchaos\" tests=\"2\" failures=\"0\" "
                             "errors=\"1\">"));
  EXPECT_THAT(xml, HasSubstr("tests=\"2\" failures=\"0\" errors=\"1\" time="))
      << "the suite itself counts the error";
  EXPECT_THAT(xml, HasSubstr("name=\"interrupted\""));
  EXPECT_THAT(xml, HasSubstr("<error type=\"interrupted\" message=\"interrupted (SIGINT or "
                             "SIGTERM) after 3.3 s of its 60.0 s of traffic: faults were healed"));
  EXPECT_THAT(xml, HasSubstr("name=\"failover_time app/web1 (all)\""))
      << "the partial verdicts are still listed";

  interrupted.recording.records.clear();
  EXPECT_THAT(junit_xml({interrupted}), HasSubstr("interrupted (SIGINT or SIGTERM) before "
                                                  "traffic started"));
  EXPECT_THAT(junit_xml({passing_}), ::testing::Not(HasSubstr("interrupted")));
}

TEST_F(ReportTest, JournalSummaryCountsProbes) {
  const auto journal = journal_json({passing_, failing_});
  EXPECT_EQ(journal["summary"]["passed"], 1);
  EXPECT_EQ(journal["summary"]["failed"], 1);
  EXPECT_EQ(journal["summary"]["errors"], 1);
  EXPECT_EQ(journal["scenarios"][1]["probes"][0]["verdict"], "fail");
}

TEST_F(ReportTest, JournalRecordsTheFaultPlanExactly) {
  scenario::FaultSpec drawn;
  drawn.action = "pause";
  drawn.target = "app/web2";
  drawn.at = std::chrono::nanoseconds(1'234'567'891);
  drawn.heal_after = std::chrono::milliseconds(750);
  scenario::FaultSpec unhealed;
  unhealed.action = "kill";
  unhealed.target = "app/web1";
  unhealed.at = std::chrono::seconds(3);
  passing_.fault_plan = {drawn, unhealed};
  const auto plan = journal_json({passing_})["scenarios"][0]["fault_plan"];
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0]["action"], "pause");
  EXPECT_EQ(plan[0]["target"], "app/web2");
  EXPECT_EQ(plan[0]["at_ns"], 1'234'567'891);
  EXPECT_EQ(plan[0]["heal_after_ns"], 750'000'000);
  EXPECT_DOUBLE_EQ(plan[0]["heal_after_s"].get<double>(), 0.75);
  EXPECT_TRUE(plan[1]["heal_after_ns"].is_null());
  EXPECT_TRUE(plan[1]["heal_after_s"].is_null());
}

TEST_F(ReportTest, ExitCodes) {
  EXPECT_EQ(scenario::exit_code_for({passing_}), kExitOk);
  EXPECT_EQ(scenario::exit_code_for({passing_, failing_}), kExitProbeFailed);
  ScenarioResult environment;
  environment.scenario = &scenario_;
  environment.outcome = ScenarioResult::Outcome::kError;
  environment.error_exit_code = kExitEnvironment;
  EXPECT_EQ(scenario::exit_code_for({failing_, environment}), kExitEnvironment);
}

TEST(Format, ValuesByUnit) {
  EXPECT_EQ(format_value(0.99871, "ratio"), "99.87%");
  EXPECT_EQ(format_value(0.31, "s"), "310ms");
  EXPECT_EQ(format_value(1.5, "s"), "1.50s");
  EXPECT_EQ(format_value(12, "count"), "12");
  EXPECT_EQ(format_value(std::nan(""), "s"), "-");
  EXPECT_EQ(format_threshold(0.99, "at_least", "ratio"), ">= 99.00%");
  EXPECT_EQ(format_threshold(std::nullopt, "", "ratio"), "");
}

}  // namespace
}  // namespace lbchaos::report
