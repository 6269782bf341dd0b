#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "faults/catalogue.h"
#include "harness/probes/probe.h"

namespace lbchaos::probes {
namespace {

using alerting::AlertState;
using scenario::AlertCheck;
using scenario::Expectation;
using scenario::RunRecording;
using ::testing::HasSubstr;
using Kind = AlertCheck::Kind;
using namespace std::chrono_literals;

constexpr std::int64_t kBase = 9'000'000'000;

std::int64_t at(double s) { return kBase + std::llround(s * 1e9); }

// A 20 s run (warmup 2 s) where web1 is killed at 6 s and restarted at 12 s.
RunRecording killed_run() {
  RunRecording run;
  run.traffic_start_ns = at(0);
  run.steady_start_ns = at(2);
  run.traffic_end_ns = at(20);
  scenario::FaultSpec kill;  // recorded as the runner does: effects and verb from the catalogue
  kill.action = "kill";
  kill.target = "app/web1";
  scenario::FaultEvent event = faults::event_for(kill);
  event.injected_ns = at(6);
  event.healed_ns = at(12);
  run.faults.push_back(event);
  run.alerts.engine = "embedded";
  run.alerts.rules = {"HaproxyServerDown", "HaproxyFrontendUnreachable"};
  return run;
}

void add(RunRecording& run, double t, std::string rule, AlertState state,
         observe::Labels labels = {{"proxy", "app"}, {"server", "web1"}, {"instance", "lb0"}}) {
  run.alerts.events.push_back({at(t), std::move(rule), std::move(labels), state, ""});
}

Expectation alert(Kind kind, std::string rule, std::chrono::nanoseconds within = 0s,
                  observe::Labels labels = {}) {
  Expectation e;
  e.probe = "alert";
  e.alert = AlertCheck{kind, std::move(rule), std::move(labels), within};
  return e;
}

const topology::Topology kTopology{};

TEST(AlertProbe, FiresWithinMeasuresFromTheFaultToFiring) {
  auto run = killed_run();
  add(run, 6.4, "HaproxyServerDown", AlertState::kPending);
  add(run, 6.9, "HaproxyServerDown", AlertState::kFiring);
  const auto r = evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 0.9, 1e-6);
  EXPECT_EQ(r.threshold, 2.0);
  EXPECT_EQ(r.comparison, "at_most");
  EXPECT_EQ(r.unit, "s");
  EXPECT_THAT(r.detail, HasSubstr("HaproxyServerDown{instance=lb0,proxy=app,server=web1} fired"));
}

TEST(AlertProbe, FiringLaterThanTheBoundFails) {
  auto run = killed_run();
  add(run, 9.5, "HaproxyServerDown", AlertState::kFiring);
  const auto r = evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 3.5, 1e-6);
}

TEST(AlertProbe, ARuleThatNeverFiresFailsNamingTheRule) {
  auto run = killed_run();
  add(run, 6.5, "HaproxyFrontendUnreachable", AlertState::kFiring);  // another rule
  const auto r = evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_THAT(r.detail, HasSubstr("rule HaproxyServerDown never fired"));
}

TEST(AlertProbe, AnUnknownRuleNameIsSpelledOut) {
  auto run = killed_run();
  const auto r = evaluate(alert(Kind::kFiresWithin, "ServerDown", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_THAT(r.detail, HasSubstr("no rule of that name is loaded"));
  EXPECT_THAT(r.detail, HasSubstr("HaproxyServerDown"));
}

TEST(AlertProbe, LabelsMustMatch) {
  auto run = killed_run();
  add(run, 6.9, "HaproxyServerDown", AlertState::kFiring);
  const auto web2 = alert(Kind::kFiresWithin, "HaproxyServerDown", 2s, {{"server", "web2"}});
  EXPECT_EQ(evaluate(web2, run, kTopology).verdict, ProbeResult::kFail);
  const auto web1 = alert(Kind::kFiresWithin, "HaproxyServerDown", 2s, {{"server", "web1"}});
  EXPECT_EQ(evaluate(web1, run, kTopology).verdict, ProbeResult::kPass);
}

TEST(AlertProbe, ResolvesWithinMeasuresFromTheHeal) {
  auto run = killed_run();
  add(run, 6.9, "HaproxyServerDown", AlertState::kFiring);
  add(run, 13.2, "HaproxyServerDown", AlertState::kResolved);
  const auto r = evaluate(alert(Kind::kResolvesWithin, "HaproxyServerDown", 3s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 1.2, 1e-6);
}

TEST(AlertProbe, StillFiringAtTheEndFailsResolvesWithin) {
  auto run = killed_run();
  add(run, 6.9, "HaproxyServerDown", AlertState::kFiring);
  const auto r = evaluate(alert(Kind::kResolvesWithin, "HaproxyServerDown", 3s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_THAT(r.detail, HasSubstr("still firing"));
}

TEST(AlertProbe, NeverFiredCannotResolve) {
  auto run = killed_run();
  const auto r = evaluate(alert(Kind::kResolvesWithin, "HaproxyServerDown", 3s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_THAT(r.detail, HasSubstr("never fired"));
}

TEST(AlertProbe, SilentPassesWhenNothingFires) {
  auto run = killed_run();
  add(run, 6.5, "HaproxyServerDown", AlertState::kPending);  // pending is not an alert
  add(run, 6.7, "HaproxyServerDown", AlertState::kResolved);
  const auto r = evaluate(alert(Kind::kSilent, ""), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_EQ(r.measured, 0);
  EXPECT_EQ(r.unit, "count");
}

TEST(AlertProbe, SilentFailsOnAFalsePositiveAndNamesIt) {
  auto run = killed_run();
  add(run, 3.0, "HaproxyHighResponseTime", AlertState::kFiring, {{"proxy", "app"}});
  const auto r = evaluate(alert(Kind::kSilent, ""), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_EQ(r.measured, 1);
  EXPECT_THAT(r.detail, HasSubstr("HaproxyHighResponseTime{proxy=app}"));
}

TEST(AlertProbe, SilentOfOneRuleIgnoresOthers) {
  auto run = killed_run();
  add(run, 6.9, "HaproxyServerDown", AlertState::kFiring);
  EXPECT_EQ(evaluate(alert(Kind::kSilent, "HaproxyFrontendUnreachable"), run, kTopology).verdict,
            ProbeResult::kPass);
}

TEST(AlertProbe, SilentCountsAnAlertAlreadyFiringWhenTheWindowOpens) {
  auto run = killed_run();
  add(run, 1.0, "HaproxyServerDown", AlertState::kFiring);
  auto e = alert(Kind::kSilent, "");
  e.during = scenario::Window::kSteady;
  EXPECT_EQ(evaluate(e, run, kTopology).verdict, ProbeResult::kFail);
}

TEST(AlertProbe, DeliveredWithinReadsTheWebhookDeliveries) {
  auto run = killed_run();
  run.alerts.deliveries.push_back({at(8.0), "HaproxyServerDown", {{"server", "web1"}}, "firing"});
  const auto ok = evaluate(alert(Kind::kDeliveredWithin, "HaproxyServerDown", 5s), run, kTopology);
  EXPECT_EQ(ok.verdict, ProbeResult::kPass) << ok.detail;
  EXPECT_NEAR(ok.measured, 2.0, 1e-6);
  const auto late = evaluate(alert(Kind::kDeliveredWithin, "HaproxyServerDown", 1s), run, kTopology);
  EXPECT_EQ(late.verdict, ProbeResult::kFail);
}

TEST(AlertProbe, ARuleAlreadyFiringBeforeTheFaultFailsFiresWithin) {
  auto run = killed_run();
  add(run, 1.2, "HaproxyServerDown", AlertState::kPending);
  add(run, 1.2, "HaproxyServerDown", AlertState::kFiring);
  const auto r = evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kFail) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("HaproxyServerDown{instance=lb0,proxy=app,server=web1} was "
                                  "already firing before app/web1 was killed (since +1.20 s): it "
                                  "cannot show the fault"));
}

TEST(AlertProbe, AnAlertThatResolvedBeforeTheFaultAndFiresAgainIsMeasured) {
  auto run = killed_run();
  add(run, 1.2, "HaproxyServerDown", AlertState::kFiring);
  add(run, 2.0, "HaproxyServerDown", AlertState::kResolved);
  add(run, 6.8, "HaproxyServerDown", AlertState::kFiring);
  const auto r = evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 0.8, 1e-6);
}

// The embedded engine stamps a round at its start; one that started just before the fault and
// was reported after it already shows the fault: that is not "before the fault".
TEST(AlertProbe, ARoundReportedAfterTheFaultIsNotBeforeIt) {
  auto run = killed_run();
  run.alerts.events.push_back({at(5.999), "HaproxyServerDown", {{"server", "web1"}},
                               AlertState::kFiring, "", at(6.004)});
  const auto r = evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_EQ(r.measured, 0);
}

// A scenario without a fault measures from the start of traffic: a misconfigured topology is
// wrong from the start, and its alert may well fire before traffic does.
TEST(AlertProbe, WithoutAFaultAnAlertFiringBeforeTrafficPassesWithZero) {
  auto run = killed_run();
  run.faults.clear();
  add(run, -0.5, "HaproxyWeightImbalance", AlertState::kFiring, {{"proxy", "app"}});
  const auto r = evaluate(alert(Kind::kFiresWithin, "HaproxyWeightImbalance", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_EQ(r.measured, 0);
}

// ---- an engine node that stopped answering (Prometheus mode) ----

RunRecording prometheus_died_at(double s) {
  auto run = killed_run();
  run.alerts.engine = "prometheus";
  run.alerts.outages.push_back(
      {"prometheus", at(s), std::nullopt, "prometheus (pid 4242) exited: killed by SIGKILL"});
  return run;
}

TEST(AlertProbe, SilentIsAnErrorWhenTheEngineWasNotWatchingPartOfTheWindow) {
  const auto run = prometheus_died_at(4.0);
  const auto r = evaluate(alert(Kind::kSilent, ""), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kError) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("the alert engine was not watching: prometheus did not answer "
                                  "from +4.00 s to the end of the run (prometheus (pid 4242) "
                                  "exited: killed by SIGKILL)"));
}

TEST(AlertProbe, AnOutageOutsideTheWindowDoesNotMatter) {
  auto run = killed_run();
  run.alerts.outages.push_back({"prometheus", at(0.5), at(1.5), "GET /api/v1/alerts: timeout"});
  auto e = alert(Kind::kSilent, "");
  e.during = scenario::Window::kSteady;
  EXPECT_EQ(evaluate(e, run, kTopology).verdict, ProbeResult::kPass);
  e.during = scenario::Window::kAll;
  const auto all = evaluate(e, run, kTopology);
  EXPECT_EQ(all.verdict, ProbeResult::kError);
  EXPECT_THAT(all.detail, HasSubstr("from +0.50 s to +1.50 s (GET /api/v1/alerts: timeout)"));
}

TEST(AlertProbe, AFalsePositiveSeenBeforeTheOutageStillFailsSilent) {
  auto run = prometheus_died_at(8.0);
  add(run, 3.0, "HaproxyHighResponseTime", AlertState::kFiring, {{"proxy", "app"}});
  EXPECT_EQ(evaluate(alert(Kind::kSilent, ""), run, kTopology).verdict, ProbeResult::kFail);
}

TEST(AlertProbe, FiresWithinCannotJudgeANeverFiredAlertAcrossAnOutage) {
  const auto run = prometheus_died_at(6.5);
  const auto r = evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kError) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("prometheus did not answer from +6.50 s"));
}

TEST(AlertProbe, FiresWithinKeepsAPassSeenAfterAnOutageAndJudgesNoLateOneAcrossIt) {
  auto run = killed_run();
  run.alerts.outages.push_back({"prometheus", at(6.2), at(7.5), "GET /api/v1/alerts: timeout"});
  add(run, 7.5, "HaproxyServerDown", AlertState::kFiring);  // seen at once when it answers
  EXPECT_EQ(evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology).verdict,
            ProbeResult::kPass);
  EXPECT_EQ(evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 1s), run, kTopology).verdict,
            ProbeResult::kError);
}

TEST(AlertProbe, ResolvesWithinCannotJudgeStillFiringAcrossAnOutage) {
  auto run = prometheus_died_at(12.5);
  add(run, 6.9, "HaproxyServerDown", AlertState::kFiring);
  const auto r = evaluate(alert(Kind::kResolvesWithin, "HaproxyServerDown", 3s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kError) << r.detail;
}

TEST(AlertProbe, AnAlertmanagerOutageOnlyConcernsDeliveries) {
  auto run = killed_run();
  add(run, 6.9, "HaproxyServerDown", AlertState::kFiring);
  run.alerts.outages.push_back(
      {"alertmanager", at(5.0), std::nullopt, "alertmanager (pid 77) exited: exit code 1"});
  EXPECT_EQ(evaluate(alert(Kind::kFiresWithin, "HaproxyServerDown", 2s), run, kTopology).verdict,
            ProbeResult::kPass);
  EXPECT_EQ(evaluate(alert(Kind::kSilent, "HaproxyFrontendUnreachable"), run, kTopology).verdict,
            ProbeResult::kPass);
  const auto r =
      evaluate(alert(Kind::kDeliveredWithin, "HaproxyServerDown", 5s), run, kTopology);
  EXPECT_EQ(r.verdict, ProbeResult::kError) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("alertmanager did not answer from +5.00 s"));
}

TEST(AlertProbe, WithoutAnEngineItCannotJudge) {
  auto run = killed_run();
  run.alerts = {};
  EXPECT_EQ(evaluate(alert(Kind::kSilent, ""), run, kTopology).verdict, ProbeResult::kError);
}

}  // namespace
}  // namespace lbchaos::probes
