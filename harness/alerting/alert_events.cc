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

void OutageLog::answered(std::int64_t at_ns) {
  last_answer_ns_ = at_ns;
  if (open_) outages_[*open_].until_ns = at_ns;
  open_.reset();
}

bool OutageLog::failed(std::int64_t at_ns, std::string why) {
  if (open_) {
    outages_[*open_].why = std::move(why);
    return false;
  }
  open_ = outages_.size();
  outages_.push_back({component_, last_answer_ns_ != 0 ? last_answer_ns_ : at_ns, std::nullopt,
                      std::move(why)});
  return true;
}

}  // namespace lbchaos::alerting
