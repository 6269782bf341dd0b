#include "harness/report/html_downsample.h"

#include <algorithm>

namespace lbchaos::report {

namespace {

using nlohmann::json;

double number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::optional<double> optional_number(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

void keep_max(std::optional<double>& into, const std::optional<double>& value) {
  if (value && (!into || *value > *into)) into = value;
}

}  // namespace

std::vector<ChartColumn> downsample(const json& timeline, std::size_t max_columns) {
  std::vector<ChartColumn> columns;
  const auto buckets_it = timeline.find("buckets");
  if (buckets_it == timeline.end() || !buckets_it->is_array() || max_columns == 0) return columns;
  const json& buckets = *buckets_it;
  const double bucket_s = timeline.value("bucket_s", 0.1);
  std::vector<std::string> servers;
  if (const auto it = timeline.find("servers"); it != timeline.end() && it->is_array()) {
    for (const auto& s : *it) servers.push_back(s.get<std::string>());
  }
  const std::size_t n = buckets.size();
  const std::size_t per_column = std::max<std::size_t>(1, (n + max_columns - 1) / max_columns);
  for (std::size_t first = 0; first < n; first += per_column) {
    const std::size_t last = std::min(n, first + per_column);
    ChartColumn c;
    c.errors.assign(kErrorClasses.size(), 0.0);
    std::vector<double> responses(servers.size(), 0.0);
    double all_responses = 0;
    for (std::size_t i = first; i < last; ++i) {
      const json& b = buckets[i];
      c.ok += number(b, "ok");
      c.sent += number(b, "sent");
      if (const auto errors = b.find("errors"); errors != b.end() && errors->is_object()) {
        for (std::size_t k = 0; k < kErrorClasses.size(); ++k) {
          c.errors[k] = std::max(c.errors[k], number(*errors, kErrorClasses[k].c_str()));
        }
      }
      keep_max(c.p50_s, optional_number(b, "p50_s"));
      keep_max(c.p99_s, optional_number(b, "p99_s"));
      if (const auto per = b.find("servers"); per != b.end() && per->is_object()) {
        for (std::size_t s = 0; s < servers.size(); ++s) {
          const double count = number(*per, servers[s].c_str());
          responses[s] += count;
          all_responses += count;
        }
      }
    }
    const double count = static_cast<double>(last - first);
    c.ok /= count;
    c.sent /= count;
    c.from_s = number(buckets[first], "t_s");
    c.to_s = number(buckets[last - 1], "t_s") + bucket_s;
    c.server_share.resize(servers.size(), 0.0);
    if (all_responses > 0) {
      for (std::size_t s = 0; s < servers.size(); ++s) c.server_share[s] = responses[s] / all_responses;
    }
    columns.push_back(std::move(c));
  }
  return columns;
}

}  // namespace lbchaos::report
