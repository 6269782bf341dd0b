#pragma once

// clang-format off
#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/alerting/alert_engine.h"
#include "harness/alerting/harness_endpoint.h"
#include "harness/alerting/monitoring_node.h"
#include "harness/alerting/prometheus_api.h"
#include "harness/alerting/promtool.h"

namespace lbchaos::deploy {
class Deployment;
}

// The team's PromQL rules evaluated by a real Prometheus (Debian's `prometheus`) started as a
// node of the run, optionally notifying a real Alertmanager that routes to the harness. Files
// live in <run dir>/prometheus/: the checked copies of the rules, prometheus.yml,
// alertmanager.yml, both nodes' logs and storage.
//
// Alert states come from Prometheus's GET /api/v1/alerts, polled every 250 ms and stamped when
// the answer arrives; deliveries are the webhook notifications, stamped on arrival. A node that
// dies or stops answering mid-run is an outage in the recording (the probe cannot judge it).
namespace lbchaos::alerting {

class PrometheusEngine : public AlertEngine {
 public:
  // `blackbox_metrics` returns the harness's own metrics (lbchaos_frontend_up...) in Prometheus
  // text format; Prometheus scrapes them as job "lbchaos".
  PrometheusEngine(deploy::Deployment& deployment, std::function<std::string()> blackbox_metrics);
  ~PrometheusEngine() override;

  boost::asio::awaitable<void> prepare() override;
  boost::asio::awaitable<void> start() override;
  boost::asio::awaitable<void> stop() override;
  [[nodiscard]] const AlertRecording& recording() const override { return recording_; }

  // For `up`, the journal and tests: -1 / empty before prepare().
  [[nodiscard]] pid_t prometheus_pid() const { return prometheus_ ? prometheus_->pid() : -1; }
  [[nodiscard]] pid_t alertmanager_pid() const { return alertmanager_ ? alertmanager_->pid() : -1; }
  [[nodiscard]] std::string prometheus_url() const;
  [[nodiscard]] std::string alertmanager_url() const;

 private:
  boost::asio::awaitable<void> wait_scraping_and_notifying(MonoTime deadline);
  boost::asio::awaitable<void> load_rule_names();
  boost::asio::awaitable<void> poll_alerts(std::shared_ptr<bool> alive);
  boost::asio::awaitable<void> watch_alertmanager(std::shared_ptr<bool> alive);
  static void note_miss(OutageLog& outages, const MonitoringNode& node, std::int64_t at_ns,
                        std::string api_error);
  void loop_finished();
  void on_notification(std::string_view body);

  deploy::Deployment& deployment_;
  std::function<std::string()> blackbox_metrics_;
  std::filesystem::path dir_;
  std::vector<RulesFile> rules_;
  std::unique_ptr<HarnessEndpoint> endpoint_;
  std::unique_ptr<MonitoringNode> prometheus_;
  std::unique_ptr<MonitoringNode> alertmanager_;
  AlertTracker tracker_;
  AlertRecording recording_;

  // The poll loops (alerts, and Alertmanager's health) run while polling_; they may outlive
  // this object only to notice `alive_`.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool polling_ = false;
  int loops_running_ = 0;
  std::optional<boost::asio::steady_timer> poll_timer_;
  std::optional<boost::asio::steady_timer> watch_timer_;
  std::optional<boost::asio::steady_timer> poll_finished_;  // cancelled when the last loop ends
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace lbchaos::alerting
