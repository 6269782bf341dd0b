#pragma once

#include <utility>

#include <memory>
#include <optional>

#include "harness/alerting/alert_engine.h"
#include "harness/alerting/evaluator.h"
#include "harness/observe/metrics_collector.h"

namespace lbchaos::alerting {

// The default engine: the harness scrapes haproxy's exporter (and runs its blackbox checks)
// every scrape_interval and evaluates TOML rules itself. Needs nothing but haproxy.
class EmbeddedEngine : public AlertEngine {
 public:
  EmbeddedEngine(boost::asio::io_context& io, const topology::AlertingSettings& settings,
                 std::vector<observe::CollectorTarget> targets);

  boost::asio::awaitable<void> prepare() override;
  boost::asio::awaitable<void> start() override;
  boost::asio::awaitable<void> stop() override;
  [[nodiscard]] const AlertRecording& recording() const override { return recording_; }

 private:
  boost::asio::io_context& io_;
  const topology::AlertingSettings& settings_;
  std::vector<observe::CollectorTarget> targets_;
  std::optional<Evaluator> evaluator_;
  std::unique_ptr<observe::MetricsCollector> collector_;
  AlertRecording recording_;
};

}  // namespace lbchaos::alerting
