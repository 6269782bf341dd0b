#include "harness/probes/detection_prediction.h"

namespace lbchaos::probes {

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
