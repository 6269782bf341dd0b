#include "harness/faults/families.h"

namespace lbchaos::faults {

// Not implemented yet: this family refuses every action.
bool is_lb_action(std::string_view /*action*/) { return false; }

std::unique_ptr<Fault> make_lb_fault(const scenario::FaultSpec& /*spec*/,
                                        deploy::Deployment& /*deployment*/) {
  return nullptr;
}

}  // namespace lbchaos::faults
