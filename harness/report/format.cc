#include "harness/report/format.h"

#include <fmt/format.h>

#include <cmath>

namespace lbchaos::report {

std::string format_value(double value, const std::string& unit) {
  if (std::isnan(value)) return "-";
  if (unit == "ratio") return fmt::format("{:.2f}%", value * 100);
  if (unit == "s") {
    return value < 1.0 ? fmt::format("{:.0f}ms", value * 1000) : fmt::format("{:.2f}s", value);
  }
  if (unit == "count") return fmt::format("{:.0f}", value);
  return fmt::format("{:g}{}", value, unit.empty() ? "" : " " + unit);
}

std::string format_threshold(const std::optional<double>& threshold, const std::string& comparison,
                             const std::string& unit) {
  if (!threshold) return "";
  return (comparison == "at_least" ? ">= " : "<= ") + format_value(*threshold, unit);
}

}  // namespace lbchaos::report
