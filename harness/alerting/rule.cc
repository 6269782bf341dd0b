#include "harness/alerting/rule.h"

namespace lbchaos::alerting {

bool Comparison::holds(double value) const {
  switch (op) {
    case Op::kAbove: return value > threshold;
    case Op::kAtLeast: return value >= threshold;
    case Op::kBelow: return value < threshold;
    case Op::kAtMost: return value <= threshold;
    case Op::kEquals: return value == threshold;
    case Op::kNotEquals: return value != threshold;
  }
  return false;
}

}  // namespace lbchaos::alerting
