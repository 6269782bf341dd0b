#include "harness/model/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "harness/traffic/histogram.h"

namespace lbchaos::scenario {
namespace {

using traffic::ErrorClass;

nlohmann::json seconds_or_null(const std::optional<std::int64_t>& ns) {
  if (!ns) return nullptr;
  return static_cast<double>(*ns) / 1e9;
}

}  // namespace

void OutcomeCounts::add(const traffic::RequestRecord& record) {
  switch (record.error) {
    case ErrorClass::kNone:
      if (record.ok()) ++ok;
      else if (record.status >= 500) ++http_5xx;
      else ++other;  // no status at all
      return;
    case ErrorClass::kRefused: ++refused; return;
    case ErrorClass::kReset: ++reset; return;
    case ErrorClass::kTimeout: ++timeout; return;
    case ErrorClass::kDropped: ++dropped; return;
    case ErrorClass::kProtocol:
    case ErrorClass::kOther: ++other; return;
  }
  ++other;
}

nlohmann::json OutcomeCounts::errors_json() const {
  return {{"refused", refused}, {"reset", reset},   {"timeout", timeout},
          {"dropped", dropped}, {"5xx", http_5xx}, {"other", other}};
}

std::string OutcomeCounts::describe_failures() const {
  std::string out;
  const auto part = [&](std::int64_t n, std::string_view name) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", n, name);
  };
  part(refused, "refused");
  part(reset, "reset");
  part(timeout, "timed out");
  part(dropped, "dropped");
  part(http_5xx, "5xx");
  part(other, "other");
  return out.empty() ? "none" : out;
}

namespace {

// "HaproxyServerDown{proxy=app,server=web1}": an alert instance as the timeline names it.
std::string alert_instance(const alerting::AlertEvent& event) {
  std::string labels;
  for (const auto& [name, value] : event.labels) {
    labels += fmt::format("{}{}={}", labels.empty() ? "" : ",", name, value);
  }
  return labels.empty() ? event.rule : fmt::format("{}{{{}}}", event.rule, labels);
}

// Replays the alert events (ordered by time) into each bucket's set of firing instances.
void add_alerts_firing(const RunRecording& run, std::vector<TimelineBucket>& buckets,
                       std::int64_t start_ns, std::int64_t bucket_ns) {
  std::set<std::string> firing;
  std::size_t next = 0;
  const auto& events = run.alerts.events;
  for (auto& bucket : buckets) {
    const std::int64_t end = start_ns + bucket.offset_ns + bucket_ns;
    for (; next < events.size() && events[next].at_ns < end; ++next) {
      if (events[next].state == alerting::AlertState::kFiring) {
        firing.insert(alert_instance(events[next]));
      } else {
        firing.erase(alert_instance(events[next]));
      }
    }
    bucket.alerts_firing.assign(firing.begin(), firing.end());
  }
}

}  // namespace

Timeline Timeline::build(const RunRecording& run, std::int64_t bucket_ns) {
  if (bucket_ns <= 0) throw std::invalid_argument("timeline bucket width must be positive");
  Timeline t;
  t.bucket_ns_ = bucket_ns;
  t.servers_ = run.servers.names();
  const std::int64_t span = run.traffic_end_ns - run.traffic_start_ns;
  const std::int64_t n = span <= 0 ? 0 : (span + bucket_ns - 1) / bucket_ns;
  t.buckets_.resize(static_cast<std::size_t>(n));
  for (const auto& r : run.records) t.instances_ = std::max<std::size_t>(t.instances_, r.instance + 1U);
  for (std::int64_t i = 0; i < n; ++i) {
    auto& b = t.buckets_[static_cast<std::size_t>(i)];
    b.offset_ns = i * bucket_ns;
    b.per_server.assign(t.servers_.size(), 0);
    b.ok_per_instance.assign(t.instances_, 0);
  }

  std::vector<std::vector<std::int64_t>> latencies(t.buckets_.size());
  for (const auto& r : run.records) {
    if (r.intended_ns < run.traffic_start_ns || r.intended_ns >= run.traffic_end_ns) {
      ++t.records_outside_;
      continue;
    }
    const auto index = static_cast<std::size_t>((r.intended_ns - run.traffic_start_ns) / bucket_ns);
    auto& b = t.buckets_[index];
    b.outcomes.add(r);
    if (r.ok()) {
      latencies[index].push_back(r.latency_ns());
      ++b.ok_per_instance[r.instance];
    }
    if (r.server < b.per_server.size()) ++b.per_server[r.server];
  }
  for (std::size_t i = 0; i < t.buckets_.size(); ++i) {
    if (latencies[i].empty()) continue;
    t.buckets_[i].p50_ns = traffic::exact_percentile(latencies[i], 50);
    t.buckets_[i].p99_ns = traffic::exact_percentile(latencies[i], 99);
  }
  add_alerts_firing(run, t.buckets_, run.traffic_start_ns, bucket_ns);
  return t;
}

nlohmann::json Timeline::to_json() const {
  auto buckets = nlohmann::json::array();
  for (const auto& b : buckets_) {
    auto servers = nlohmann::json::object();
    for (std::size_t id = 0; id < servers_.size(); ++id) servers[servers_[id]] = b.per_server[id];
    auto instances = nlohmann::json::object();
    for (std::size_t i = 0; i < instances_; ++i) {
      instances[fmt::format("lb{}", i)] = b.ok_per_instance[i];
    }
    buckets.push_back({{"t_s", static_cast<double>(b.offset_ns) / 1e9},
                       {"sent", b.sent()},
                       {"ok", b.outcomes.ok},
                       {"errors", b.outcomes.errors_json()},
                       {"p50_s", seconds_or_null(b.p50_ns)},
                       {"p99_s", seconds_or_null(b.p99_ns)},
                       {"servers", std::move(servers)},
                       {"instances", std::move(instances)},
                       {"alerts_firing", b.alerts_firing}});
  }
  return {{"bucket_s", static_cast<double>(bucket_ns_) / 1e9},
          {"servers", servers_},
          {"records_outside", records_outside_},
          {"buckets", std::move(buckets)}};
}

}  // namespace lbchaos::scenario
