#include "harness/report/console_strip.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace lbchaos::report {

namespace {

using nlohmann::json;

// Availability levels from worst to best, and where each begins.
constexpr const char* kUtf8Levels[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
constexpr const char* kAsciiLevels[] = {"_", ".", ",", ":", "-", "=", "+", "#"};
constexpr double kLevelFloor[] = {0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999};

int level(double availability) {
  int l = 0;
  for (int i = 0; i < 8; ++i) {
    if (availability >= kLevelFloor[i]) l = i;
  }
  return l;
}

double number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

bool locale_is_utf8() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    std::string v(value);
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v.find("utf-8") != std::string::npos || v.find("utf8") != std::string::npos;
  }
  return false;
}

std::vector<std::string> availability_strip(const json& scenario, bool utf8, std::size_t max_width) {
  const auto t = scenario.find("timeline");
  if (t == scenario.end() || !t->is_object() || !t->contains("buckets")) return {};
  const json& buckets = (*t)["buckets"];
  const double bucket_s = t->value("bucket_s", 0.1);
  if (buckets.empty() || bucket_s <= 0) return {};
  // Per second: requests due and answered.
  const auto seconds = static_cast<std::size_t>(
      std::ceil(static_cast<double>(buckets.size()) * bucket_s - 1e-9));
  std::vector<double> sent(seconds, 0), ok(seconds, 0);
  for (const auto& b : buckets) {
    const auto s = std::min(seconds - 1, static_cast<std::size_t>(number(b, "t_s") + 1e-9));
    sent[s] += number(b, "sent");
    ok[s] += number(b, "ok");
  }
  const std::size_t per_char = std::max<std::size_t>(1, (seconds + max_width - 1) / max_width);
  const std::size_t chars = (seconds + per_char - 1) / per_char;

  std::vector<std::pair<double, double>> windows;
  std::vector<std::string> labels;
  if (const auto f = scenario.find("fault_events"); f != scenario.end() && f->is_array()) {
    for (const auto& e : *f) {
      const double from = number(e, "injected_at_s");
      const bool healed = e.contains("healed_at_s") && e["healed_at_s"].is_number();
      const double to = healed ? e["healed_at_s"].get<double>() : static_cast<double>(seconds);
      windows.emplace_back(from, to);
      labels.push_back(fmt::format("{} {} {:.1f}-{}", e.value("action", "fault"),
                                   e.value("target", ""), from,
                                   healed ? fmt::format("{:.1f} s", to) : "end (not healed)"));
    }
  }

  std::string strip, marks;
  for (std::size_t c = 0; c < chars; ++c) {
    // The worst second under the character, so a one-second outage is never averaged away.
    std::optional<double> worst;
    for (std::size_t s = c * per_char; s < std::min(seconds, (c + 1) * per_char); ++s) {
      if (sent[s] <= 0) continue;
      const double a = ok[s] / sent[s];
      worst = worst ? std::min(*worst, a) : a;
    }
    strip += worst ? (utf8 ? kUtf8Levels : kAsciiLevels)[level(*worst)] : " ";
    const double from = static_cast<double>(c * per_char), to = from + static_cast<double>(per_char);
    const bool in_fault = std::any_of(windows.begin(), windows.end(), [&](const auto& w) {
      return w.first < to && w.second > from;
    });
    marks += in_fault ? (utf8 ? "━" : "=") : " ";
  }
  const std::string legend = fmt::format(
      "1 char = {} s; {} >= 99.9%, {} < 25%", per_char, utf8 ? "█" : "#", utf8 ? "▁" : "_");
  std::vector<std::string> lines{fmt::format("   availability  {}  {}", strip, legend)};
  if (!windows.empty()) {
    lines.push_back(fmt::format("   faults        {}  {}", marks, fmt::join(labels, "; ")));
  }
  return lines;
}

}  // namespace lbchaos::report
