#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/duration.h"
#include "harness/topology/endpoints.h"

// The two configuration files the prometheus engine writes into the run directory. Pure: text
// in, text out, so what Prometheus and Alertmanager are told can be checked without them.
namespace lbchaos::alerting {

struct ScrapeTarget {
  std::string instance;  // "lb0": the instance label of every series scraped from it
  topology::Endpoint address;
};

struct PrometheusConfig {
  Duration interval{};                // scrape and evaluation interval
  std::vector<ScrapeTarget> haproxy;  // haproxy's exporters (job "haproxy")
  topology::Endpoint harness;         // the harness's blackbox metrics (job "lbchaos")
  std::vector<std::filesystem::path> rule_files;
  std::optional<topology::Endpoint> alertmanager;
};

// A Prometheus duration for `d`, in whole milliseconds ("500ms", "1000ms"); at least 1ms.
[[nodiscard]] std::string prometheus_duration(Duration d);

// prometheus.yml: both jobs, the rule files and, when set, the Alertmanager to notify.
[[nodiscard]] std::string render_prometheus_config(const PrometheusConfig& config);

// alertmanager.yml: every alert is its own group (group_by ['...']) notified at once to the
// harness's webhook at `webhook_url`, resolutions included.
[[nodiscard]] std::string render_alertmanager_config(const std::string& webhook_url);

}  // namespace lbchaos::alerting
