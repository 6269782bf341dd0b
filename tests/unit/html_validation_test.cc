// The page `lbchaos validate --html` writes, from a report built by hand: the findings (errors
// first), one suite row per generated run linking to its section with the run report's charts,
// and with a baseline each run of both configs drawn over each other and the comparison table.
// Self-contained: the run report's CSP, no outside URL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "faults/catalogue.h"
#include "harness/report/html_validation.h"
#include <fmt/format.h>

namespace lbchaos::report {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using scenario::ScenarioResult;
using validate::Comparison;
using validate::Finding;
using validate::ValidationReport;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

constexpr std::int64_t kStart = 1'000'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;

// `seconds` of traffic at 100/s over two servers; requests in [fail_from, fail_to) fail with a
// reset, and every answer takes `latency_ms`.
ScenarioResult run(const scenario::Scenario& s, double seconds, double latency_ms,
                   double fail_from = -1, double fail_to = -1) {
  ScenarioResult r;
  r.scenario = &s;
  r.outcome = ScenarioResult::Outcome::kPassed;
  r.seed = 1;
  r.wall_seconds = seconds + 1;
  auto& rec = r.recording;
  rec.traffic_start_ns = kStart;
  rec.steady_start_ns = kStart + kSecond;
  rec.traffic_end_ns = kStart + static_cast<std::int64_t>(seconds * kSecond);
  const auto web1 = rec.servers.id_of("app/web1");
  const auto web2 = rec.servers.id_of("app/web2");
  const int requests = static_cast<int>(seconds * 100);
  for (int i = 0; i < requests; ++i) {
    traffic::RequestRecord q;
    q.seq = static_cast<std::uint32_t>(i);
    q.intended_ns = kStart + static_cast<std::int64_t>(i) * kSecond / 100;
    q.sent_ns = q.intended_ns;
    q.done_ns = q.intended_ns + static_cast<std::int64_t>(latency_ms * 1e6);
    const double t = i / 100.0;
    if (t >= fail_from && t < fail_to) {
      q.error = traffic::ErrorClass::kReset;
    } else {
      q.status = 200;
      q.server = i % 2 == 0 ? web1 : web2;
    }
    rec.records.push_back(q);
  }
  scenario::FaultEvent kill;
  kill.action = std::string(faults::find_action("kill")->name);
  kill.target = "app/web1";
  kill.injected_ns = kStart + 3 * kSecond;
  kill.healed_ns = kStart + 5 * kSecond;
  rec.faults.push_back(kill);
  return r;
}

probes::ProbeResult probe(std::string name, probes::ProbeResult::Verdict verdict, double measured,
                          double threshold) {
  probes::ProbeResult p;
  p.probe = std::move(name);
  p.window = "all";
  p.verdict = verdict;
  p.measured = measured;
  p.threshold = threshold;
  p.comparison = "at_least";
  p.unit = "ratio";
  p.detail = "expected at least 99% of requests to succeed";
  return p;
}

class ValidationPage : public ::testing::Test {
 protected:
  ValidationPage() {
    resilience_.name = "validate-resilience";
    resilience_.traffic.duration = 8s;
    peak_.name = "validate-peak";
    peak_.traffic.duration = 5s;
    report_.config = "/work/new.cfg";
    report_.topology_source = "none: servers from the config";
    report_.exit_code = 1;
    report_.reasons = {"/work/new.cfg:25: no_health_check: server app/web3 has no `check`"};

    Finding warning;
    warning.check = "single_lb";
    warning.severity = Finding::Severity::kWarning;
    warning.where = {"/work/new.cfg", 14, 1};
    warning.message = "one haproxy instance";
    Finding error;
    error.check = "no_health_check";
    error.where = {"/work/new.cfg", 25, 1};
    error.message = "server app/web3 has no `check`";
    error.value = 3.5;
    error.unit = "s";
    error.slo = "availability >= 99.00%";
    report_.findings = {warning, error};  // the page puts the error first

    auto& c = report_.candidate;
    c.config = report_.config;
    c.plan.backend = "app";
    c.plan.resilience = resilience_;
    c.plan.peak = peak_;
    c.plan.peak_phase.name = "peak 200 requests/s";
    c.resilience.push_back(run(resilience_, 8, 20, 3, 3.5));
    c.peak.push_back(run(peak_, 5, 30));
    c.checks.push_back({{"steady", probe("availability", probes::ProbeResult::kPass, 1, 0.99)},
                        {"kill app/web1", probe("availability", probes::ProbeResult::kFail, 0.93, 0.99)},
                        {"peak 200 requests/s", probe("availability", probes::ProbeResult::kPass, 1, 0.99)}});
    for (const auto& row : c.checks[0]) report_.suite.push_back(row);
  }

  void add_baseline() {
    report_.baseline = "/work/current.cfg";
    report_.baseline_run.emplace();
    auto& b = *report_.baseline_run;
    b.config = *report_.baseline;
    b.plan = report_.candidate.plan;
    b.resilience.push_back(run(resilience_, 8, 10));
    b.peak.push_back(run(peak_, 5, 12));
    Comparison latency;
    latency.metric = "latency (steady)";
    latency.unit = "ms";
    latency.baseline = 10;
    latency.candidate = 20;
    latency.difference = 10;
    latency.low = 9.5;
    latency.high = 10.5;
    latency.verdict = Comparison::Verdict::kRegression;
    latency.test = "Mann-Whitney U / Hodges-Lehmann";
    latency.detail = "p99 10.00 ms -> 20.00 ms";
    report_.comparisons.push_back(latency);
  }

  // As after validate() returned the report by value: the results' scenario pointers are not
  // followed; the plans hold the scenarios as run.
  const ValidationReport& moved() {
    for (auto* run : {&report_.candidate, report_.baseline_run ? &*report_.baseline_run : nullptr}) {
      if (run == nullptr) continue;
      for (auto& r : run->resilience) r.scenario = nullptr;
      for (auto& r : run->peak) r.scenario = nullptr;
    }
    return report_;
  }

  scenario::Scenario resilience_, peak_;
  ValidationReport report_;
};

TEST_F(ValidationPage, IsSelfContainedUnderTheRunReportsPolicy) {
  add_baseline();
  const std::string page = html_validation(moved(), "lbchaos validate --config new.cfg");
  EXPECT_THAT(page, HasSubstr("Content-Security-Policy\" content=\"default-src 'none'; "
                              "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\""));
  EXPECT_FALSE(std::regex_search(page, std::regex(R"re((https?:)?//[a-z0-9.-]+\.[a-z]{2,})re")))
      << "an outside URL";
  EXPECT_THAT(page, Not(HasSubstr("src=\"")));
  EXPECT_THAT(page, HasSubstr("NOT VALID: new.cfg (1 reason"));
  EXPECT_THAT(page, HasSubstr("lbchaos validate --config new.cfg"));
}

TEST_F(ValidationPage, ListsFindingsErrorsFirstWithLineNumberAndSlo) {
  const std::string page = html_validation(moved());
  EXPECT_EQ(count(page, "<tr class=\"finding "), 2U);
  const auto error = page.find("data-severity=\"error\" data-check=\"no_health_check\"");
  const auto warning = page.find("data-severity=\"warning\" data-check=\"single_lb\"");
  ASSERT_NE(error, std::string::npos);
  ASSERT_NE(warning, std::string::npos);
  EXPECT_LT(error, warning);
  const std::string row = page.substr(error, warning - error);
  EXPECT_THAT(row, HasSubstr("/work/new.cfg:25"));
  EXPECT_THAT(row, HasSubstr("3.50s"));
  EXPECT_THAT(row, HasSubstr("availability &gt;= 99.00%"));
  EXPECT_THAT(row, HasSubstr("has no `check`"));
  EXPECT_THAT(page, HasSubstr("data-stage=\"ok\""));
}

TEST_F(ValidationPage, OneSuiteRowPerRunLinkingToItsSectionWithCharts) {
  const std::string page = html_validation(moved());
  // The resilience run failed (a kill phase's availability), the peak run passed.
  EXPECT_THAT(page, HasSubstr("<tr class=\"row-fail\" data-outcome=\"fail\"><td><span class=\"badge v-failed\">"));
  EXPECT_THAT(page, HasSubstr("<tr class=\"row-pass\" data-outcome=\"pass\"><td><span class=\"badge v-passed\">"));
  EXPECT_THAT(page, HasSubstr("href=\"#scenario-0\">validate-resilience</a>"));
  EXPECT_THAT(page, HasSubstr("href=\"#scenario-1\">validate-peak</a>"));
  EXPECT_THAT(page, HasSubstr("id=\"scenario-0\""));
  EXPECT_THAT(page, HasSubstr("id=\"scenario-1\""));
  // The run report's figure in each section, the kill shaded, and the suite's rows as probes
  // with their phase as the window.
  EXPECT_EQ(count(page, "<svg class=\"timeline\" id=\"fig-"), 2U);
  EXPECT_THAT(page, HasSubstr("class=\"fault\" data-fault=\"kill app/web1\""));
  EXPECT_THAT(page, HasSubstr("<td>kill app/web1</td>"));
  EXPECT_THAT(page, HasSubstr("<td>peak 200 requests/s</td>"));
  // No baseline: no overlay.
  EXPECT_THAT(page, Not(HasSubstr("class=\"overlay\"")));
  EXPECT_THAT(page, Not(HasSubstr("id=\"baseline\"")));
}

TEST_F(ValidationPage, WithABaselineDrawsBothRunsOnTheSameAxesAndTheComparisonTable) {
  add_baseline();
  const std::string page = html_validation(moved());
  EXPECT_EQ(count(page, "<div class=\"overlay\""), 2U);  // resilience and peak
  for (const char* panel : {"throughput", "availability", "p99"}) {
    for (const char* series : {"baseline", "candidate"}) {
      EXPECT_EQ(count(page, fmt::format("data-series=\"{}\" data-panel=\"{}\"", series, panel)), 2U)
          << series << " " << panel;
    }
  }
  EXPECT_THAT(page, HasSubstr("class=\"line series-baseline\""));
  EXPECT_THAT(page, HasSubstr("class=\"line series-candidate\""));
  EXPECT_THAT(page, HasSubstr("<i class=\"sw-baseline\"></i>baseline current.cfg"));
  EXPECT_THAT(page, HasSubstr("<i class=\"sw-candidate\"></i>candidate new.cfg"));
  const auto table = page.find("<table class=\"comparisons\">");
  ASSERT_NE(table, std::string::npos);
  const std::string comparisons = page.substr(table, page.find("</table>", table) - table);
  EXPECT_THAT(comparisons, HasSubstr("latency (steady)"));
  EXPECT_THAT(comparisons, HasSubstr("10.00 ms"));
  EXPECT_THAT(comparisons, HasSubstr("+10.00 [+9.50, +10.50] ms"));
  EXPECT_THAT(comparisons, HasSubstr("data-verdict=\"regression\""));
}

}  // namespace
}  // namespace lbchaos::report
