#include <gmock/gmock.h>
#include <gtest/gtest.h>


#include "harness/report/console_strip.h"
#include "harness/report/html_downsample.h"
#include "harness/report/html_lanes.h"
#include "harness/report/html_report.h"
#include "tests/unit/support/synthetic_journal.h"

namespace lbchaos::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using test_support::synthetic_journal;
using test_support::SyntheticRun;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(HtmlReport, AnHourAtAThousandRequestsPerSecondStaysUnderFiveMegabytes) {
  const auto journal = synthetic_journal(SyntheticRun{});
  const std::string page = html_report(journal);
  EXPECT_LT(page.size(), 5U * 1024 * 1024) << "page of " << page.size() << " bytes";
  // The one-bucket spike of 50 refused requests survives the folding into pixel columns.
  const auto columns = downsample(journal["scenarios"][0]["timeline"], 780);
  ASSERT_LE(columns.size(), 780U);
  double most_refused = 0, worst_p99 = 0;
  for (const auto& c : columns) {
    most_refused = std::max(most_refused, c.errors[0]);
    worst_p99 = std::max(worst_p99, c.p99_s.value_or(0));
  }
  EXPECT_EQ(most_refused, 50);
  EXPECT_DOUBLE_EQ(worst_p99, 0.9);
}

TEST(HtmlReport, PageIsSelfContainedAndBlocksOutsideRequests) {
  SyntheticRun run{.seconds = 60, .rate = 200, .kill_at_s = 10, .spike_at_s = 40.3};
  const std::string page = html_report(synthetic_journal(run));
  EXPECT_THAT(page, HasSubstr("Content-Security-Policy\" content=\"default-src 'none'; "
                              "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\""));
  EXPECT_THAT(page, Not(HasSubstr("http://")));
  EXPECT_THAT(page, Not(HasSubstr("https://")));
  EXPECT_THAT(page, Not(HasSubstr("src=\"")));
}

TEST(HtmlReport, DrawsOneWindowPerFaultOneLanePerServerAndFailuresFirst) {
  SyntheticRun run{.seconds = 60, .rate = 200, .kill_at_s = 10, .spike_at_s = 40.3};
  auto journal = synthetic_journal(run);
  auto passing = journal["scenarios"][0];
  passing["outcome"] = "passed";
  passing["scenario"]["name"] = "a passing one";
  journal["scenarios"].insert(journal["scenarios"].begin(), passing);
  const std::string page = html_report(journal);
  EXPECT_EQ(count(page, "class=\"fault\" data-fault=\"kill app/web1\""), 2U);  // one per scenario
  EXPECT_EQ(count(page, "class=\"lane server-lane\""), 6U);
  // The failed scenario (second in the journal) leads the index and the page.
  EXPECT_LT(page.find("href=\"#scenario-1\""), page.find("href=\"#scenario-0\""));
  EXPECT_LT(page.find("id=\"scenario-1\""), page.find("id=\"scenario-0\""));
  // In the probe table the failing probe comes before the passing one.
  const auto section = page.find("id=\"scenario-1\"");
  EXPECT_LT(page.find("data-verdict=\"fail\"", section), page.find("data-verdict=\"pass\"", section));
  EXPECT_THAT(page, HasSubstr("data-state=\"DOWN\" data-from-s=\"11.200\""));
  EXPECT_THAT(page, HasSubstr("data-reload=\"refused\""));
  EXPECT_THAT(page, HasSubstr("data-state=\"firing\""));
}

TEST(HtmlReport, EscapesTextFromTheJournal) {
  SyntheticRun run{.seconds = 5, .rate = 100, .kill_at_s = 1, .spike_at_s = 2};
  auto journal = synthetic_journal(run);
  journal["scenarios"][0]["scenario"]["name"] = "<script>alert(1)</script>";
  journal["scenarios"][0]["probes"][0]["detail"] = "a </script> in a detail";
  const std::string page = html_report(journal);
  EXPECT_THAT(page, Not(HasSubstr("<script>alert(1)")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(1)"));
  EXPECT_EQ(count(page, "</script>"), 2U);  // the data block and the page's script
}

TEST(HtmlReport, ServerStatesFollowHaproxysEventsFromTheFirstInstance) {
  const nlohmann::json events = nlohmann::json::parse(R"([
    {"at_s": 2.0, "instance": 1, "server": "app/web1", "state": "DOWN"},
    {"at_s": 3.0, "instance": 0, "server": "app/web1", "state": "DRAIN"},
    {"at_s": 4.0, "instance": 0, "server": "app/web1", "state": "DOWN"},
    {"at_s": 6.5, "instance": 0, "server": "app/web1", "state": "UP"},
    {"at_s": 1.0, "instance": 0, "server": "app/web2", "state": "MAINT"}])");
  const auto spans = server_state_spans(events, "app/web1", 10);
  ASSERT_EQ(spans.size(), 4U);
  EXPECT_EQ(spans[0].state, "UP");
  EXPECT_EQ(spans[1].state, "DRAIN");
  EXPECT_EQ(spans[2].state, "DOWN");
  EXPECT_DOUBLE_EQ(spans[2].from_s, 4.0);
  EXPECT_DOUBLE_EQ(spans[2].to_s, 6.5);
  EXPECT_DOUBLE_EQ(spans[3].to_s, 10.0);
}

TEST(ConsoleStrip, ShowsTheDipAndMarksTheFaultWindow) {
  SyntheticRun run{.seconds = 20, .rate = 100, .kill_at_s = 5, .spike_at_s = 12.05};
  auto scenario = synthetic_journal(run)["scenarios"][0];
  scenario["fault_events"][0]["healed_at_s"] = 9.0;
  const auto lines = availability_strip(scenario, false);
  ASSERT_EQ(lines.size(), 2U);
  // 20 seconds, one character each; second 12 lost 5 of its 100 requests ("=" is >= 95%).
  EXPECT_THAT(lines[0], HasSubstr("############=#######"));
  const auto strip_start = lines[0].find('#');
  EXPECT_EQ(lines[0][strip_start + 12], '=') << lines[0];
  EXPECT_EQ(lines[1].substr(strip_start + 5, 4), "====") << lines[1];
  EXPECT_EQ(lines[1][strip_start + 4], ' ');
  EXPECT_EQ(lines[1][strip_start + 9], ' ');
  EXPECT_THAT(lines[1], HasSubstr("kill app/web1 5.0-9.0 s"));
  const auto utf8 = availability_strip(scenario, true);
  EXPECT_THAT(utf8[0], HasSubstr("█"));
  EXPECT_THAT(utf8[1], HasSubstr("━"));
}

TEST(ConsoleStrip, LongRunsKeepTheWorstSecondOfEachCharacter) {
  const auto scenario = synthetic_journal(SyntheticRun{})["scenarios"][0];
  const auto lines = availability_strip(scenario, false, 100);
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], HasSubstr("1 char = 36 s"));
  EXPECT_THAT(lines[0], HasSubstr("="));  // second 1800 lost 50 of 1000: 95% -> '='
}

}  // namespace
}  // namespace lbchaos::report
