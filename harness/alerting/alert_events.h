#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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
};

// A notification that reached the harness's webhook receiver through Alertmanager.
struct AlertDelivery {
  std::int64_t at_ns = 0;
  std::string rule;    // alertname
  Labels labels;
  std::string status;  // "firing" | "resolved"
};

struct AlertRecording {
  std::string engine;  // "embedded" | "prometheus"
  std::vector<AlertEvent> events;         // ordered by at_ns
  std::vector<AlertDelivery> deliveries;  // ordered by at_ns; only with Alertmanager
  std::vector<std::string> rules;         // names of every rule loaded (for messages)
};

}  // namespace lbchaos::alerting
