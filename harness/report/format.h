#pragma once

#include <optional>
#include <string>

namespace lbchaos::report {

// A probe value for people, by unit: ratio -> "99.87%", s -> "310ms" / "1.52s", count -> "12".
[[nodiscard]] std::string format_value(double value, const std::string& unit);
// "≥ 99.00%" / "≤ 1.00s" / "" without a threshold.
[[nodiscard]] std::string format_threshold(const std::optional<double>& threshold,
                                           const std::string& comparison, const std::string& unit);

}  // namespace lbchaos::report
