#include "harness/alerting/prometheus_api.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace lbchaos::alerting {

namespace {

using nlohmann::json;

json parse(std::string_view body, std::string_view what) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw AlertApiError(fmt::format("{}: not a JSON object: {:.200}", what, body));
  }
  return doc;
}

// The "data" of a Prometheus API envelope that says "status": "success".
json api_data(std::string_view body, std::string_view what) {
  json doc = parse(body, what);
  if (doc.value("status", "") != "success") {
    throw AlertApiError(fmt::format("{}: {} ({})", what, doc.value("error", "no success status"),
                                    doc.value("errorType", "?")));
  }
  if (!doc.contains("data") || !doc["data"].is_object()) {
    throw AlertApiError(fmt::format("{}: no data object", what));
  }
  return doc["data"];
}

// Labels without alertname, and the alertname.
std::pair<std::string, Labels> split_labels(const json& labels) {
  std::pair<std::string, Labels> out;
  if (!labels.is_object()) return out;
  for (const auto& [name, value] : labels.items()) {
    if (!value.is_string()) continue;
    if (name == "alertname") {
      out.first = value.get<std::string>();
    } else {
      out.second[name] = value.get<std::string>();
    }
  }
  return out;
}

std::string summary_of(const json& alert) {
  const auto annotations = alert.find("annotations");
  if (annotations == alert.end() || !annotations->is_object()) return {};
  return annotations->value("summary", "");
}

// nlohmann's type errors (a field of an unexpected type) as AlertApiError.
template <typename Parse>
auto guarded(std::string_view what, Parse parse) {
  try {
    return parse();
  } catch (const json::exception& e) {
    throw AlertApiError(fmt::format("{}: {}", what, e.what()));
  }
}

}  // namespace

std::vector<ActiveAlert> parse_active_alerts(std::string_view body) {
  return guarded("/api/v1/alerts", [&] {
    const json data = api_data(body, "/api/v1/alerts");
    const auto alerts = data.find("alerts");
    if (alerts == data.end() || !alerts->is_array()) {
      throw AlertApiError("/api/v1/alerts: no alerts array");
    }
    std::vector<ActiveAlert> out;
    for (const auto& alert : *alerts) {
      if (!alert.is_object()) continue;
      const auto state = alert.value("state", "");
      if (state != "pending" && state != "firing") continue;  // "inactive": not active
      auto [rule, labels] = split_labels(alert.value("labels", json::object()));
      out.push_back(ActiveAlert{std::move(rule), std::move(labels),
                                state == "firing" ? AlertState::kFiring : AlertState::kPending,
                                summary_of(alert)});
    }
    return out;
  });
}

std::vector<std::string> parse_alerting_rule_names(std::string_view body) {
  return guarded("/api/v1/rules", [&] {
    const json data = api_data(body, "/api/v1/rules");
    const auto groups = data.find("groups");
    if (groups == data.end() || !groups->is_array()) {
      throw AlertApiError("/api/v1/rules: no groups array");
    }
    std::vector<std::string> names;
    for (const auto& group : *groups) {
      if (!group.is_object() || !group.contains("rules") || !group["rules"].is_array()) continue;
      for (const auto& rule : group["rules"]) {
        if (rule.is_object() && rule.value("type", "") == "alerting") {
          names.push_back(rule.value("name", ""));
        }
      }
    }
    return names;
  });
}

std::vector<TargetHealth> parse_targets(std::string_view body) {
  return guarded("/api/v1/targets", [&] {
    const json data = api_data(body, "/api/v1/targets");
    const auto targets = data.find("activeTargets");
    if (targets == data.end() || !targets->is_array()) {
      throw AlertApiError("/api/v1/targets: no activeTargets array");
    }
    std::vector<TargetHealth> out;
    for (const auto& target : *targets) {
      if (!target.is_object()) continue;
      const auto labels = target.value("labels", json::object());
      out.push_back(TargetHealth{labels.value("job", ""), labels.value("instance", ""),
                                 target.value("health", ""), target.value("lastError", "")});
    }
    return out;
  });
}

std::size_t count_active_alertmanagers(std::string_view body) {
  return guarded("/api/v1/alertmanagers", [&] {
    const json data = api_data(body, "/api/v1/alertmanagers");
    const auto active = data.find("activeAlertmanagers");
    if (active == data.end() || !active->is_array()) {
      throw AlertApiError("/api/v1/alertmanagers: no activeAlertmanagers array");
    }
    return active->size();
  });
}

std::vector<AlertDelivery> parse_webhook_notification(std::string_view body, std::int64_t at_ns) {
  return guarded("Alertmanager webhook", [&] {
    const json doc = parse(body, "Alertmanager webhook");
    const auto alerts = doc.find("alerts");
    if (alerts == doc.end() || !alerts->is_array()) {
      throw AlertApiError("Alertmanager webhook: no alerts array");
    }
    std::vector<AlertDelivery> out;
    for (const auto& alert : *alerts) {
      if (!alert.is_object()) continue;
      auto [rule, labels] = split_labels(alert.value("labels", json::object()));
      out.push_back(AlertDelivery{at_ns, std::move(rule), std::move(labels),
                                  alert.value("status", doc.value("status", ""))});
    }
    return out;
  });
}

std::vector<AlertEvent> AlertTracker::observe(const std::vector<ActiveAlert>& active,
                                              std::int64_t at_ns) {
  std::vector<AlertEvent> events;
  const auto event = [&](const ActiveAlert& alert, AlertState state) {
    events.push_back(AlertEvent{at_ns, alert.rule, alert.labels, state, alert.summary});
  };
  std::map<std::pair<std::string, Labels>, ActiveAlert> now;
  for (const auto& alert : active) {
    auto key = std::make_pair(alert.rule, alert.labels);
    const auto before = known_.find(key);
    if (before == known_.end() || before->second.state != alert.state) event(alert, alert.state);
    now.emplace(std::move(key), alert);
  }
  for (const auto& [key, alert] : known_) {
    if (!now.contains(key)) event(alert, AlertState::kResolved);
  }
  known_ = std::move(now);
  return events;
}

}  // namespace lbchaos::alerting
