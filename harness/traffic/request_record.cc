#include "harness/traffic/request_record.h"

#include <algorithm>

namespace lbchaos::traffic {

std::string_view to_string(ErrorClass error) {
  switch (error) {
    case ErrorClass::kNone: return "none";
    case ErrorClass::kRefused: return "refused";
    case ErrorClass::kReset: return "reset";
    case ErrorClass::kTimeout: return "timeout";
    case ErrorClass::kDropped: return "dropped";
    case ErrorClass::kProtocol: return "protocol";
    case ErrorClass::kOther: return "other";
  }
  return "other";
}

std::uint16_t ServerTable::id_of(std::string_view key) {
  const auto it = std::find(names_.begin(), names_.end(), key);
  if (it != names_.end()) return static_cast<std::uint16_t>(it - names_.begin());
  names_.emplace_back(key);
  return static_cast<std::uint16_t>(names_.size() - 1);
}

}  // namespace lbchaos::traffic
