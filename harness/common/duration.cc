#include "harness/common/duration.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace lbchaos {

std::optional<Duration> parse_duration(std::string_view text) {
  std::size_t unit_at = 0;
  while (unit_at < text.size() &&
         ((text[unit_at] >= '0' && text[unit_at] <= '9') || text[unit_at] == '.')) {
    ++unit_at;
  }
  if (unit_at == 0 || unit_at == text.size()) return std::nullopt;
  double value = 0;
  const auto number = text.substr(0, unit_at);
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || end != number.data() + number.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  const auto unit = text.substr(unit_at);
  double ns_per_unit = 0;
  if (unit == "ns") ns_per_unit = 1;
  else if (unit == "us") ns_per_unit = 1e3;
  else if (unit == "ms") ns_per_unit = 1e6;
  else if (unit == "s") ns_per_unit = 1e9;
  else if (unit == "m") ns_per_unit = 60e9;
  else if (unit == "h") ns_per_unit = 3600e9;
  else return std::nullopt;
  const double ns = value * ns_per_unit;
  if (ns > 1e18) return std::nullopt;
  return Duration(static_cast<std::int64_t>(std::llround(ns)));
}

std::string haproxy_duration(Duration d) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(d).count();
  if (ms == 0 && d.count() > 0) return "1ms";
  if (ms % 60000 == 0 && ms != 0) return fmt::format("{}m", ms / 60000);
  if (ms % 1000 == 0 && ms != 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string human_duration(Duration d) {
  const double seconds = static_cast<double>(d.count()) / 1e9;
  if (seconds < 1.0) return fmt::format("{:.0f}ms", seconds * 1000);
  if (seconds < 60.0) return fmt::format("{:.2f}s", seconds);
  const auto whole = static_cast<long long>(seconds);
  return fmt::format("{}m{}s", whole / 60, whole % 60);
}

}  // namespace lbchaos
