#include "harness/alerting/alert_events.h"

namespace lbchaos::alerting {

std::string_view to_string(AlertState state) {
  switch (state) {
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
    case AlertState::kResolved: return "resolved";
  }
  return "?";
}

}  // namespace lbchaos::alerting
