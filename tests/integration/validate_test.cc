// `lbchaos validate` end to end, as a user runs it: the real binary, the real haproxy, built-in
// backends on loopback. CI runs one good config, two bad configs caught by measurement alone
// (--no-static), one baseline comparison that finds a regression and the seed-001 typo. The
// corpus is validate_corpus_test.cc (each config once in CI; three times, --no-static and the
// 10-of-10 identical A/B under the `validate-corpus` label).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <regex>

#include "tests/integration/support/chromium.h"
#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/validation_run.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::filesystem::path& kCorpus = kValidateCorpus;

// The suite rows of one probe in one kind of phase ("kill", "steady"...).
std::vector<nlohmann::json> rows(const Validation& v, const std::string& phase_prefix,
                                 const std::string& probe) {
  std::vector<nlohmann::json> out;
  for (const auto& row : v.json["suite"]["probes"]) {
    if (row["phase"].get<std::string>().rfind(phase_prefix, 0) == 0 && row["probe"] == probe) {
      out.push_back(row);
    }
  }
  return out;
}

TEST(Validate, AGoodConfigAloneIsValidAndEveryGeneratedProbePasses) {
  const std::string config = (kCorpus / "good-roundrobin.cfg").string();
  const std::string before = read_file(config);
  const auto v = validate("good-roundrobin");
  ASSERT_EQ(v.exit_code, 0) << v.output;
  EXPECT_THAT(v.out, HasSubstr("== 1. haproxy's check"));
  EXPECT_THAT(v.out, HasSubstr("== 2. Static analysis"));
  EXPECT_THAT(v.out, HasSubstr("== 3. Generated suite"));
  EXPECT_THAT(v.out, HasSubstr("VALID: good-roundrobin.cfg"));
  EXPECT_TRUE(v.json["valid"].get<bool>());
  // Every server killed in turn, each detected within the prediction, plus the health-only
  // failure, the reload and the peak.
  EXPECT_EQ(rows(v, "kill", "detection_time").size(), 3U);
  EXPECT_EQ(rows(v, "health-only", "detection_time").size(), 1U);
  EXPECT_EQ(rows(v, "graceful reload", "error_count").size(), 1U);
  EXPECT_EQ(rows(v, "peak", "availability").size(), 1U);
  EXPECT_EQ(rows(v, "steady", "distribution").size(), 1U);
  for (const auto& row : v.json["suite"]["probes"]) {
    EXPECT_EQ(row["verdict"], "pass") << row.dump();
  }
  EXPECT_EQ(read_file(config), before) << "the user's config was modified";
}

TEST(Validate, NoRedispatchIsCaughtByMeasurementAlone) {
  const auto v = validate("bad-no-redispatch", {"--no-static"});
  ASSERT_EQ(v.exit_code, 1) << v.output;
  EXPECT_TRUE(v.json["findings"].empty());
  EXPECT_THAT(v.out, HasSubstr("off (--no-static)"));
  // Requests already bound to the killed server fail until haproxy marks it DOWN.
  const auto availability = rows(v, "kill", "availability");
  ASSERT_EQ(availability.size(), 3U);
  int failed = 0;
  for (const auto& row : availability) failed += row["verdict"] == "fail" ? 1 : 0;
  EXPECT_GE(failed, 2) << v.out;
  EXPECT_THAT(v.out, HasSubstr("NOT VALID"));
  EXPECT_THAT(v.out, HasSubstr("availability failed"));
}

TEST(Validate, WeightZeroOnTwoOfThreeIsCaughtByMeasurementAlone) {
  const auto v = validate("bad-weight-zero", {"--no-static"});
  ASSERT_EQ(v.exit_code, 1) << v.output;
  const auto distribution = rows(v, "steady", "distribution");
  ASSERT_EQ(distribution.size(), 1U);
  EXPECT_EQ(distribution[0]["verdict"], "fail") << v.out;
  EXPECT_GT(distribution[0]["measured"].get<double>(), 0.5);  // web1 takes ~100%, expected 33%
  EXPECT_THAT(v.out, HasSubstr("steady: distribution failed"));
}

TEST(Validate, AWeightSkewedCandidateRegressesAgainstAGoodBaseline) {
  const auto v = validate("bad-weight-zero",
                          {"--baseline", (kCorpus / "good-roundrobin.cfg").string()}, 170s,
                          /*open_in_browser=*/true);
  ASSERT_EQ(v.exit_code, 1) << v.output;
  EXPECT_THAT(v.out, HasSubstr("== 4. Baseline comparison"));
  std::map<std::string, std::string> verdicts;
  for (const auto& c : v.json["comparisons"]) verdicts[c["metric"]] = c["verdict"];
  EXPECT_EQ(verdicts["latency (steady)"], "regression") << v.out;
  EXPECT_EQ(verdicts["distribution (steady): share of app/web1"], "regression") << v.out;
  EXPECT_THAT(v.out, HasSubstr("baseline comparison: latency (steady) regressed"));

  // The --html page: self-contained, with the static findings, the suite's runs and the
  // baseline drawn over the candidate.
  ASSERT_FALSE(v.html.empty()) << "no --html page was written\n" << v.output;
  EXPECT_THAT(v.html, HasSubstr("Content-Security-Policy\" content=\"default-src 'none';"));
  // Nothing loads or links outside the file (haproxy's version line names its site as text).
  EXPECT_FALSE(std::regex_search(v.html, std::regex(R"re((src|href)="(https?:)?//)re")));
  EXPECT_FALSE(std::regex_search(v.html, std::regex(R"re(url\()re")));
  EXPECT_THAT(v.html, HasSubstr("NOT VALID: bad-weight-zero.cfg"));
  EXPECT_THAT(v.html, HasSubstr("data-severity=\"error\" data-check=\"weight_zero\""));
  EXPECT_THAT(v.html, HasSubstr("bad-weight-zero.cfg:"));
  EXPECT_THAT(v.html, HasSubstr("href=\"#scenario-0\">validate-resilience</a>"));
  EXPECT_THAT(v.html, HasSubstr("href=\"#scenario-1\">validate-peak</a>"));
  EXPECT_THAT(v.html, HasSubstr("class=\"fault\" data-fault=\"kill app/web1\""));
  EXPECT_THAT(v.html, HasSubstr("<div class=\"overlay\" id=\"overlay-resilience-1\""));
  EXPECT_THAT(v.html, HasSubstr("<div class=\"overlay\" id=\"overlay-peak-1\""));
  EXPECT_THAT(v.html, HasSubstr("data-series=\"baseline\" data-panel=\"p99\""));
  EXPECT_THAT(v.html, HasSubstr("data-series=\"candidate\" data-panel=\"p99\""));
  EXPECT_THAT(v.html, HasSubstr("data-verdict=\"regression\""));
  // Headless chromium loads it offline without a console message (a script error or a blocked
  // request would log one).
  EXPECT_EQ(v.in_browser.has_value(), std::filesystem::exists(kChromium));
  if (v.in_browser) {
    EXPECT_THAT(v.in_browser->dom, HasSubstr("lbchaos validate")) << v.in_browser->messages;
    EXPECT_TRUE(v.in_browser->quiet()) << v.in_browser->messages;
  }
}

// --suite runs the team's own scenarios on the candidate (their config replaced by it), and
// --repeat runs the generated suite that many times: every run is in the suite table.
TEST(Validate, TheTeamsSuiteRunsOnTheCandidateAndRepeatRunsTheGeneratedSuiteAgain) {
  const auto suite = std::filesystem::path(LBCHAOS_TEST_DATA) / "integration" / "validate_suite";
  const auto v = validate("good-roundrobin", {"--suite", suite.string(), "--repeat", "2"}, 240s);
  ASSERT_EQ(v.exit_code, 0) << v.output;
  ASSERT_EQ(v.json["team_scenarios"].size(), 1U) << v.json.dump(1);
  const auto& team = v.json["team_scenarios"][0];
  EXPECT_EQ(team["name"], "team: drain web2");
  EXPECT_EQ(team["outcome"], "passed") << team.dump(1);
  ASSERT_FALSE(team["probes"].empty());
  EXPECT_EQ(team["probes"][0]["probe"], "availability");
  EXPECT_THAT(v.out, HasSubstr("team scenario team: drain web2"));
  // Both runs of the generated suite: each kill phase once per run.
  int second_run_rows = 0;
  for (const auto& row : v.json["suite"]["probes"]) {
    if (row["phase"].get<std::string>().find("(run 2)") != std::string::npos) ++second_run_rows;
  }
  EXPECT_GT(second_run_rows, 0) << v.json["suite"].dump(1);
  EXPECT_EQ(rows(v, "kill", "detection_time").size(), 6U);
  EXPECT_THAT(v.html, HasSubstr("team: drain web2"));
}

TEST(Validate, ATypoIsRejectedByHaproxyAtTheUsersLine) {
  const auto v = validate("bad-typo-new-server");
  ASSERT_EQ(v.exit_code, 2) << v.output;
  EXPECT_THAT(v.out, HasSubstr("REJECTED"));
  EXPECT_THAT(v.out, HasSubstr("bad-typo-new-server.cfg:25"));
  EXPECT_THAT(v.out, HasSubstr("chekc"));
}

}  // namespace
}  // namespace lbchaos
