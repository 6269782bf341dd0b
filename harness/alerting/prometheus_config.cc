#include "harness/alerting/prometheus_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace lbchaos::alerting {

namespace {

// A JSON string is a valid YAML double-quoted scalar: paths and URLs need no further care.
std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

}  // namespace

std::string prometheus_duration(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return fmt::format("{}ms", std::max<std::int64_t>(ms, 1));
}

std::string render_prometheus_config(const PrometheusConfig& config) {
  const auto interval = prometheus_duration(config.interval);
  std::string out = "# Written by lbchaos for one run.\n";
  out += fmt::format(
      "global:\n  scrape_interval: {0}\n  scrape_timeout: {0}\n  evaluation_interval: {0}\n",
      interval);

  out += "rule_files:";
  if (config.rule_files.empty()) out += " []";
  out += "\n";
  for (const auto& file : config.rule_files) out += fmt::format("  - {}\n", quoted(file.string()));

  out += "scrape_configs:\n";
  out += "  - job_name: haproxy\n    metrics_path: /metrics\n    static_configs:\n";
  if (config.haproxy.empty()) out += "      []\n";
  for (const auto& target : config.haproxy) {
    out += fmt::format("      - targets: [{}]\n        labels: {{instance: {}}}\n",
                       quoted(target.address.to_string()), quoted(target.instance));
  }
  // The harness's samples carry their own instance label ("lb0"): keep it.
  out += fmt::format(
      "  - job_name: lbchaos\n    metrics_path: /metrics\n    honor_labels: true\n"
      "    static_configs:\n      - targets: [{}]\n",
      quoted(config.harness.to_string()));

  if (config.alertmanager) {
    out += fmt::format(
        "alerting:\n  alertmanagers:\n    - api_version: v2\n      static_configs:\n"
        "        - targets: [{}]\n",
        quoted(config.alertmanager->to_string()));
  }
  return out;
}

std::string render_alertmanager_config(const std::string& webhook_url) {
  return fmt::format(
      "# Written by lbchaos for one run.\n"
      "route:\n"
      "  receiver: lbchaos\n"
      "  group_by: ['...']\n"
      "  group_wait: 0s\n"
      "  group_interval: 1s\n"
      "  repeat_interval: 24h\n"
      "receivers:\n"
      "  - name: lbchaos\n"
      "    webhook_configs:\n"
      "      - url: {}\n"
      "        send_resolved: true\n",
      quoted(webhook_url));
}

}  // namespace lbchaos::alerting
