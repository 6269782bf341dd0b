#include "harness/alerting/prometheus_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lbchaos::alerting {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

PrometheusConfig two_instances() {
  PrometheusConfig config;
  config.interval = 500ms;
  config.haproxy = {{"lb0", {"127.0.0.1", 40001}}, {"lb1", {"127.0.0.1", 40002}}};
  config.harness = {"127.0.0.1", 40100};
  config.rule_files = {"/tmp/run/prometheus/rules/1/alerts.yml"};
  return config;
}

TEST(PrometheusDuration, IsWholeMillisecondsAndNeverZero) {
  EXPECT_EQ(prometheus_duration(500ms), "500ms");
  EXPECT_EQ(prometheus_duration(1s), "1000ms");
  EXPECT_EQ(prometheus_duration(250ms), "250ms");
  EXPECT_EQ(prometheus_duration(100us), "1ms");
}

TEST(PrometheusConfig, ScrapesAndEvaluatesAtTheTopologyInterval) {
  const auto yml = render_prometheus_config(two_instances());
  EXPECT_THAT(yml, HasSubstr("  scrape_interval: 500ms\n"));
  EXPECT_THAT(yml, HasSubstr("  scrape_timeout: 500ms\n"));
  EXPECT_THAT(yml, HasSubstr("  evaluation_interval: 500ms\n"));
}

TEST(PrometheusConfig, EveryExporterIsATargetLabelledWithItsInstanceName) {
  const auto yml = render_prometheus_config(two_instances());
  EXPECT_THAT(yml, HasSubstr("  - job_name: haproxy\n    metrics_path: /metrics\n"));
  EXPECT_THAT(yml, HasSubstr("      - targets: [\"127.0.0.1:40001\"]\n"
                             "        labels: {instance: \"lb0\"}\n"));
  EXPECT_THAT(yml, HasSubstr("      - targets: [\"127.0.0.1:40002\"]\n"
                             "        labels: {instance: \"lb1\"}\n"));
}

TEST(PrometheusConfig, HarnessJobKeepsTheInstanceLabelsOfItsSamples) {
  const auto yml = render_prometheus_config(two_instances());
  EXPECT_THAT(yml, HasSubstr("  - job_name: lbchaos\n    metrics_path: /metrics\n"
                             "    honor_labels: true\n    static_configs:\n"
                             "      - targets: [\"127.0.0.1:40100\"]\n"));
}

TEST(PrometheusConfig, LoadsTheRuleCopiesQuoted) {
  auto config = two_instances();
  config.rule_files.emplace_back("/tmp/run dir/rules/2/team \"a\".yml");
  const auto yml = render_prometheus_config(config);
  EXPECT_THAT(yml, HasSubstr("rule_files:\n  - \"/tmp/run/prometheus/rules/1/alerts.yml\"\n"
                             "  - \"/tmp/run dir/rules/2/team \\\"a\\\".yml\"\n"));
}

TEST(PrometheusConfig, NotifiesTheAlertmanagerOnlyWhenThereIsOne) {
  auto config = two_instances();
  EXPECT_THAT(render_prometheus_config(config), Not(HasSubstr("alerting:")));
  config.alertmanager = topology::Endpoint{"127.0.0.1", 40200};
  EXPECT_THAT(render_prometheus_config(config),
              HasSubstr("alerting:\n  alertmanagers:\n    - api_version: v2\n"
                        "      static_configs:\n        - targets: [\"127.0.0.1:40200\"]\n"));
}

TEST(AlertmanagerConfig, EveryAlertIsNotifiedAtOnceToTheHarnessWebhook) {
  const auto yml = render_alertmanager_config("http://127.0.0.1:40100/alertmanager");
  EXPECT_THAT(yml, HasSubstr("  group_by: ['...']\n"));
  EXPECT_THAT(yml, HasSubstr("  group_wait: 0s\n"));
  EXPECT_THAT(yml, HasSubstr("  group_interval: 1s\n"));
  EXPECT_THAT(yml, HasSubstr("      - url: \"http://127.0.0.1:40100/alertmanager\"\n"
                             "        send_resolved: true\n"));
}

}  // namespace
}  // namespace lbchaos::alerting
