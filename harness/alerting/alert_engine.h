#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <memory>

#include "harness/alerting/alert_events.h"
#include "harness/topology/model.h"

namespace lbchaos::deploy {
class Deployment;
}

// The engine behind the `alert` probe: the embedded evaluator (TOML rules over haproxy's
// exporter, scraped by the harness) or a real Prometheus (+ Alertmanager) run as nodes.
namespace lbchaos::alerting {

class AlertEngine {
 public:
  virtual ~AlertEngine() = default;

  // Before anything starts: read and check the rules (InputError, exit 2: file:line:col for
  // TOML, promtool's message for PromQL), write configs into the run directory.
  virtual boost::asio::awaitable<void> prepare() = 0;
  // Once haproxy is up: start scraping/evaluating (and the Prometheus/Alertmanager nodes).
  // Throws EnvironmentError when a node does not start.
  virtual boost::asio::awaitable<void> start() = 0;
  // After traffic and heals, before the deployment is torn down; safe to call more than once
  // and without start(). Every node the engine started is ended.
  virtual boost::asio::awaitable<void> stop() = 0;

  // Grows while the engine runs (events as they are observed), complete after stop().
  [[nodiscard]] virtual const AlertRecording& recording() const = 0;
};

// The engine the topology's [alerting] section asks for, over a prepared deployment.
[[nodiscard]] std::unique_ptr<AlertEngine> make_alert_engine(deploy::Deployment& deployment);

}  // namespace lbchaos::alerting
