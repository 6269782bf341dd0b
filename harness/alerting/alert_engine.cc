#include "harness/alerting/alert_engine.h"

#include "harness/alerting/embedded_engine.h"
#include "harness/alerting/prometheus_engine.h"
#include "harness/deploy/deployment.h"
#include "harness/observe/metrics_collector.h"

namespace lbchaos::alerting {

namespace asio = boost::asio;

namespace {

std::vector<observe::CollectorTarget> collector_targets(deploy::Deployment& deployment) {
  std::vector<observe::CollectorTarget> targets;
  for (auto& instance : deployment.instances()) {
    observe::CollectorTarget target;
    target.instance = instance->name();
    target.metrics = instance->endpoints().metrics;
    target.frontends = instance->endpoints().binds;
    target.master_socket = instance->master_socket();
    targets.push_back(std::move(target));
  }
  return targets;
}

// A real Prometheus scrapes haproxy itself; the harness still runs the blackbox checks
// (frontend answering, failed reloads) and serves them to Prometheus as job "lbchaos".
class PrometheusWithBlackbox : public AlertEngine {
 public:
  explicit PrometheusWithBlackbox(deploy::Deployment& deployment)
      : deployment_(deployment),
        prometheus_(deployment, [this] {
          return collector_ ? collector_->blackbox_exposition() : std::string();
        }) {}

  asio::awaitable<void> prepare() override { co_await prometheus_.prepare(); }

  asio::awaitable<void> start() override {
    observe::CollectorOptions options;
    options.interval = std::chrono::duration_cast<std::chrono::milliseconds>(
        deployment_.topology().alerting.scrape_interval);
    options.scrape_haproxy = false;
    collector_ = std::make_unique<observe::MetricsCollector>(
        deployment_.io(), collector_targets(deployment_), std::move(options));
    collector_->start([](const observe::ScrapeRound&) {});
    co_await prometheus_.start();
  }

  asio::awaitable<void> stop() override {
    co_await prometheus_.stop();
    if (collector_) co_await collector_->stop();
  }

  [[nodiscard]] const AlertRecording& recording() const override {
    return prometheus_.recording();
  }

 private:
  deploy::Deployment& deployment_;
  std::unique_ptr<observe::MetricsCollector> collector_;
  PrometheusEngine prometheus_;
};

}  // namespace

std::unique_ptr<AlertEngine> make_alert_engine(deploy::Deployment& deployment) {
  const auto& settings = deployment.topology().alerting;
  if (settings.engine == topology::AlertingSettings::Engine::kPrometheus) {
    return std::make_unique<PrometheusWithBlackbox>(deployment);
  }
  return std::make_unique<EmbeddedEngine>(deployment.io(), settings,
                                          collector_targets(deployment));
}

}  // namespace lbchaos::alerting
