#include "harness/faults/fault.h"

#include <fmt/format.h>

#include "harness/common/errors.h"
#include "harness/faults/families.h"

namespace lbchaos::faults {

void check_supported(const scenario::FaultSpec& spec) {
  const auto& a = spec.action;
  if (is_process_action(a) || is_runtime_api_action(a) || is_backend_action(a) ||
      is_network_action(a) || is_lb_action(a)) {
    return;
  }
  throw InputError(spec.where, fmt::format("fault action '{}' is not implemented in this version "
                                           "yet",
                                           a));
}

std::unique_ptr<Fault> make_fault(const scenario::FaultSpec& spec,
                                  deploy::Deployment& deployment) {
  check_supported(spec);
  for (auto* factory : {&make_process_fault, &make_runtime_api_fault, &make_backend_fault,
                        &make_network_fault, &make_lb_fault}) {
    if (auto fault = factory(spec, deployment)) return fault;
  }
  throw InputError(spec.where, fmt::format("fault action '{}' has no implementation", spec.action));
}

}  // namespace lbchaos::faults
