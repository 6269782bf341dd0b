#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/alerting/alert_events.h"

// What Prometheus's HTTP API (alerts, rules, targets) and Alertmanager's webhook say, as the
// harness's values. Pure: JSON text in, values out.
namespace lbchaos::alerting {

// The body is not the JSON the API documents (or says "status": "error").
class AlertApiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One alert instance Prometheus reports as active (GET /api/v1/alerts).
struct ActiveAlert {
  std::string rule;                         // alertname
  Labels labels;                            // without alertname
  AlertState state = AlertState::kPending;  // pending or firing
  std::string summary;                      // annotations.summary, if any
};

// GET /api/v1/alerts -> the pending and firing alerts. Throws AlertApiError.
[[nodiscard]] std::vector<ActiveAlert> parse_active_alerts(std::string_view body);

// GET /api/v1/rules -> the names of every alerting rule, in file order. Throws AlertApiError.
[[nodiscard]] std::vector<std::string> parse_alerting_rule_names(std::string_view body);

// One scrape target as GET /api/v1/targets reports it.
struct TargetHealth {
  std::string job;
  std::string instance;
  std::string health;  // "up" | "down" | "unknown" (not scraped yet)
  std::string last_error;
};

// GET /api/v1/targets -> the active targets. Throws AlertApiError.
[[nodiscard]] std::vector<TargetHealth> parse_targets(std::string_view body);

// GET /api/v1/alertmanagers -> how many Alertmanagers Prometheus sends to. Throws AlertApiError.
[[nodiscard]] std::size_t count_active_alertmanagers(std::string_view body);

// One Alertmanager webhook notification (payload version 4) -> a delivery per alert in it,
// labels without alertname, all stamped `at_ns`. Throws AlertApiError.
[[nodiscard]] std::vector<AlertDelivery> parse_webhook_notification(std::string_view body,
                                                                    std::int64_t at_ns);

// Turns successive snapshots of the active alerts into state changes: a new instance is
// pending or firing, pending -> firing is firing, an instance no longer active is resolved.
class AlertTracker {
 public:
  std::vector<AlertEvent> observe(const std::vector<ActiveAlert>& active, std::int64_t at_ns);

 private:
  std::map<std::pair<std::string, Labels>, ActiveAlert> known_;
};

}  // namespace lbchaos::alerting
