#include "harness/alerting/prometheus_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/alerting/promtool.h"

namespace lbchaos::alerting {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// As Prometheus 2.42 answers GET /api/v1/alerts.
std::string alerts_body(const std::string& alerts) {
  return R"({"status":"success","data":{"alerts":[)" + alerts + "]}}";
}

std::string alert(const std::string& server, const std::string& state) {
  return R"({"labels":{"alertname":"HaproxyServerDown","instance":"lb0","job":"haproxy",)"
         R"("proxy":"app","server":")" +
         server +
         R"(","severity":"critical","state":"DOWN"},)"
         R"("annotations":{"summary":"server down"},"state":")" +
         state + R"(","activeAt":"2024-05-01T10:00:00.5Z","value":"1e+00"})";
}

const Labels kWeb1{{"instance", "lb0"}, {"job", "haproxy"},       {"proxy", "app"},
                   {"server", "web1"},  {"severity", "critical"}, {"state", "DOWN"}};

TEST(ActiveAlerts, ParsesRuleLabelsWithoutAlertnameStateAndSummary) {
  const auto alerts =
      parse_active_alerts(alerts_body(alert("web1", "firing") + "," + alert("web2", "pending")));
  ASSERT_EQ(alerts.size(), 2U);
  EXPECT_EQ(alerts[0].rule, "HaproxyServerDown");
  EXPECT_EQ(alerts[0].labels, kWeb1);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].summary, "server down");
  EXPECT_EQ(alerts[1].state, AlertState::kPending);
  EXPECT_EQ(alerts[1].labels.at("server"), "web2");
}

TEST(ActiveAlerts, NoAlertsIsAnEmptyList) {
  EXPECT_TRUE(parse_active_alerts(alerts_body("")).empty());
}

TEST(ActiveAlerts, ErrorsAndGarbageAreApiErrorsNotAnEmptyList) {
  EXPECT_THROW((void)parse_active_alerts("<html>"), AlertApiError);
  EXPECT_THROW((void)parse_active_alerts(R"({"status":"success","data":{}})"), AlertApiError);
  EXPECT_THROW((void)parse_active_alerts(R"({"status":"success","data":{"alerts":[{"state":7}]}})"),
               AlertApiError);
  try {
    (void)parse_active_alerts(
        R"({"status":"error","errorType":"timeout","error":"query timed out"})");
    FAIL() << "no error";
  } catch (const AlertApiError& e) {
    EXPECT_THAT(e.what(), HasSubstr("query timed out"));
  }
}

TEST(AlertTracker, NewPendingThenFiringThenGoneIsResolved) {
  AlertTracker tracker;
  const auto pending =
      tracker.observe(parse_active_alerts(alerts_body(alert("web1", "pending"))), 10);
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].state, AlertState::kPending);
  EXPECT_EQ(pending[0].at_ns, 10);
  EXPECT_EQ(pending[0].rule, "HaproxyServerDown");
  EXPECT_EQ(pending[0].labels, kWeb1);

  EXPECT_TRUE(
      tracker.observe(parse_active_alerts(alerts_body(alert("web1", "pending"))), 20).empty());
  const auto firing =
      tracker.observe(parse_active_alerts(alerts_body(alert("web1", "firing"))), 30);
  ASSERT_EQ(firing.size(), 1U);
  EXPECT_EQ(firing[0].state, AlertState::kFiring);
  EXPECT_EQ(firing[0].at_ns, 30);

  const auto resolved = tracker.observe({}, 40);
  ASSERT_EQ(resolved.size(), 1U);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].labels, kWeb1);
  EXPECT_EQ(resolved[0].summary, "server down");
  EXPECT_TRUE(tracker.observe({}, 50).empty());
}

TEST(AlertTracker, ARuleWithoutForFiresAtOnceAndEachLabelSetIsItsOwnInstance) {
  AlertTracker tracker;
  auto events = tracker.observe(parse_active_alerts(alerts_body(alert("web1", "firing"))), 1);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].state, AlertState::kFiring);
  events = tracker.observe(
      parse_active_alerts(alerts_body(alert("web1", "firing") + "," + alert("web2", "firing"))), 2);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].labels.at("server"), "web2");
  events = tracker.observe(parse_active_alerts(alerts_body(alert("web2", "firing"))), 3);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].labels.at("server"), "web1");
  EXPECT_EQ(events[0].state, AlertState::kResolved);
}

TEST(AlertingRules, NamesEveryAlertingRuleButNotRecordingRules) {
  const std::string body = R"json({"status":"success","data":{"groups":[
    {"name":"haproxy","file":"/r.yml","rules":[
      {"name":"HaproxyServerDown","query":"x == 1","type":"alerting","state":"inactive"},
      {"name":"job:up:sum","query":"sum(up)","type":"recording"}]},
    {"name":"blackbox","rules":[{"name":"FrontendDown","type":"alerting"}]}]}})json";
  EXPECT_THAT(parse_alerting_rule_names(body), ElementsAre("HaproxyServerDown", "FrontendDown"));
}

TEST(Targets, ReportsJobInstanceHealthAndLastError) {
  const std::string body = R"({"status":"success","data":{"activeTargets":[
    {"labels":{"instance":"lb0","job":"haproxy"},"health":"up","lastError":""},
    {"labels":{"instance":"127.0.0.1:4","job":"lbchaos"},"health":"down","lastError":"connection refused"}],
    "droppedTargets":[]}})";
  const auto targets = parse_targets(body);
  ASSERT_EQ(targets.size(), 2U);
  EXPECT_EQ(targets[0].instance, "lb0");
  EXPECT_EQ(targets[0].health, "up");
  EXPECT_EQ(targets[1].job, "lbchaos");
  EXPECT_EQ(targets[1].last_error, "connection refused");
}

TEST(Alertmanagers, CountsTheActiveOnes) {
  EXPECT_EQ(
      count_active_alertmanagers(
          R"({"status":"success","data":{"activeAlertmanagers":[{"url":"http://127.0.0.1:9/api/v2/alerts"}],"droppedAlertmanagers":[]}})"),
      1U);
  EXPECT_EQ(
      count_active_alertmanagers(
          R"({"status":"success","data":{"activeAlertmanagers":[],"droppedAlertmanagers":[]}})"),
      0U);
}

TEST(WebhookNotification, EveryAlertIsADeliveryStampedOnArrival) {
  // Alertmanager 0.25's webhook payload (version 4).
  const std::string body = R"({"receiver":"lbchaos","status":"firing","alerts":[
    {"status":"firing","labels":{"alertname":"HaproxyServerDown","instance":"lb0","job":"haproxy",
      "proxy":"app","server":"web1","severity":"critical","state":"DOWN"},
     "annotations":{"summary":"server down"},"startsAt":"2024-05-01T10:00:00.5Z",
     "endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://x/graph","fingerprint":"1a2b"},
    {"status":"resolved","labels":{"alertname":"FrontendDown","instance":"lb0"}}],
    "groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://x",
    "version":"4","groupKey":"{}:{}","truncatedAlerts":0})";
  const auto deliveries = parse_webhook_notification(body, 77);
  ASSERT_EQ(deliveries.size(), 2U);
  EXPECT_EQ(deliveries[0].at_ns, 77);
  EXPECT_EQ(deliveries[0].rule, "HaproxyServerDown");
  EXPECT_EQ(deliveries[0].labels, kWeb1);
  EXPECT_EQ(deliveries[0].status, "firing");
  EXPECT_EQ(deliveries[1].rule, "FrontendDown");
  EXPECT_EQ(deliveries[1].status, "resolved");
  EXPECT_THROW((void)parse_webhook_notification("{}", 1), AlertApiError);
}

TEST(Promtool, MessagesNameTheUsersFilesNotTheCopies) {
  const std::vector<RulesFile> files{
      {"/home/team/alerts.yml", "/tmp/lbchaos-x/prometheus/rules/1/alerts.yml", {}},
      {"/home/team/extra.yml", "/tmp/lbchaos-x/prometheus/rules/2/extra.yml", {}}};
  const std::string output =
      "Checking /tmp/lbchaos-x/prometheus/rules/1/alerts.yml\n  FAILED:\n"
      "/tmp/lbchaos-x/prometheus/rules/1/alerts.yml: 5:11: group \"g\", rule 1, \"X\": could not "
      "parse expression\nChecking /tmp/lbchaos-x/prometheus/rules/2/extra.yml\n  SUCCESS\n";
  EXPECT_EQ(
      in_user_terms(output, files),
      "Checking /home/team/alerts.yml\n  FAILED:\n/home/team/alerts.yml: 5:11: group \"g\", "
      "rule 1, \"X\": could not parse expression\nChecking /home/team/extra.yml\n  SUCCESS\n");
}

}  // namespace
}  // namespace lbchaos::alerting
