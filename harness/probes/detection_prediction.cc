#include "harness/probes/detection_prediction.h"

#include <algorithm>
#include <array>

namespace lbchaos::probes {

std::optional<CheckFailure> check_failure_of(std::string_view action) {
  constexpr std::array<std::string_view, 4> kFailsAtOnce{"kill", "terminate", "health_fail",
                                                         "reset"};
  constexpr std::array<std::string_view, 3> kHangs{"pause", "hang", "blackhole"};
  if (std::find(kFailsAtOnce.begin(), kFailsAtOnce.end(), action) != kFailsAtOnce.end()) {
    return CheckFailure::kFailsAtOnce;
  }
  if (std::find(kHangs.begin(), kHangs.end(), action) != kHangs.end()) return CheckFailure::kHangs;
  return std::nullopt;
}

PredictedRange predict_detection(const topology::HealthCheck& check, CheckFailure failure) {
  const Duration fastinter = check.fastinter.value_or(check.inter);
  Duration low = (check.fall - 1) * fastinter;
  if (failure == CheckFailure::kHangs) low += check.fall * check.timeout.value_or(check.inter);
  return {low, low + check.inter};
}

PredictedRange predict_recovery(const topology::HealthCheck& check) {
  const Duration fastinter = check.fastinter.value_or(check.inter);
  const Duration low = (check.rise - 1) * fastinter;
  return {low, low + check.downinter.value_or(check.inter)};
}

}  // namespace lbchaos::probes
