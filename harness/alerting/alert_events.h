#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/observe/metric_sample.h"

// What an alert engine (embedded evaluator or a real Prometheus) reports, on the run's
// monotonic clock: the `alert` probe, the timeline and the JSON journal are made of these.
namespace lbchaos::alerting {

using observe::Labels;

enum class AlertState { kPending, kFiring, kResolved };

[[nodiscard]] std::string_view to_string(AlertState state);  // "pending", "firing", "resolved"

// One state change of one alert instance (a rule and the label set it fired for).
// kResolved is only reported for an instance that was pending or firing.
struct AlertEvent {
  std::int64_t at_ns = 0;
  std::string rule;    // alertname
  Labels labels;       // the alert instance's labels (without alertname)
  AlertState state = AlertState::kPending;
  std::string summary; // for people; may be empty
  // When the engine had the answer: the end of the embedded engine's scrape round (at_ns is its
  // start), the poll's answer in Prometheus mode. 0 means at_ns. A round that started just
  // before a fault may already show it: only what was reported before the fault came before it.
  std::int64_t reported_ns = 0;
};

// A notification that reached the harness's webhook receiver through Alertmanager.
struct AlertDelivery {
  std::int64_t at_ns = 0;
  std::string rule;    // alertname
  Labels labels;
  std::string status;  // "firing" | "resolved"
};

[[nodiscard]] inline std::int64_t reported_ns(const AlertEvent& event) {
  return event.reported_ns != 0 ? event.reported_ns : event.at_ns;
}

// A stretch of the run when a node of the engine did not answer (Prometheus mode: the node died
// or its API stopped answering): alert states, or deliveries, are unknown during it.
struct EngineOutage {
  std::string component;  // "prometheus" | "alertmanager"
  std::int64_t from_ns = 0;               // its last answer before the outage
  std::optional<std::int64_t> until_ns;   // its next answer; none: it never answered again
  std::string why;  // "prometheus (pid 123) exited: killed by SIGKILL", "GET /api/v1/alerts: ..."
};

struct AlertRecording {
  std::string engine;  // "embedded" | "prometheus"
  std::vector<AlertEvent> events;         // ordered by at_ns
  std::vector<AlertDelivery> deliveries;  // ordered by at_ns; only with Alertmanager
  std::vector<std::string> rules;         // names of every rule loaded (for messages)
  std::vector<EngineOutage> outages;      // ordered by from_ns
};

// Keeps one node's outages in a recording: answered() after each good answer, failed() after
// each missed one. The first miss opens an outage from the last answer; the next answer closes
// it. While open, the latest reason wins (a refused connection becomes "exited" once reaped).
class OutageLog {
 public:
  OutageLog(std::string component, std::vector<EngineOutage>& outages)
      : component_(std::move(component)), outages_(outages) {}

  void answered(std::int64_t at_ns);
  // True when this miss opened a new outage (to log it once).
  bool failed(std::int64_t at_ns, std::string why);
  [[nodiscard]] bool out() const { return open_.has_value(); }

 private:
  std::string component_;
  std::vector<EngineOutage>& outages_;
  std::int64_t last_answer_ns_ = 0;
  std::optional<std::size_t> open_;  // index into outages_
};

}  // namespace lbchaos::alerting
