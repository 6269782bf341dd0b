#include "harness/model/model.h"

namespace lbchaos::scenario {

std::string to_string(Window window) {
  switch (window) {
    case Window::kAll: return "all";
    case Window::kSteady: return "steady";
    case Window::kFault: return "fault";
    case Window::kRecovery: return "recovery";
  }
  return "all";
}

}  // namespace lbchaos::scenario
