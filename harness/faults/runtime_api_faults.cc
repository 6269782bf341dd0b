#include "harness/faults/families.h"

namespace lbchaos::faults {

// Not implemented yet: this family refuses every action.
bool is_runtime_api_action(std::string_view /*action*/) { return false; }

std::unique_ptr<Fault> make_runtime_api_fault(const scenario::FaultSpec& /*spec*/,
                                        deploy::Deployment& /*deployment*/) {
  return nullptr;
}

}  // namespace lbchaos::faults
