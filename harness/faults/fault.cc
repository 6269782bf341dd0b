#include "harness/faults/fault.h"

#include <fmt/format.h>

#include <map>

#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"
#include "harness/faults/process_faults.h"

namespace lbchaos::faults {

namespace {

const std::map<std::string, ProcessFault::Kind, std::less<>> kProcessFaults{
    {"kill", ProcessFault::Kind::kKill},
    {"terminate", ProcessFault::Kind::kTerminate},
    {"pause", ProcessFault::Kind::kPause},
    {"restart", ProcessFault::Kind::kRestart},
};

}  // namespace

void check_supported(const scenario::FaultSpec& spec) {
  if (kProcessFaults.count(spec.action) == 0) {
    throw InputError(spec.where,
                     fmt::format("fault action '{}' is not implemented in this version yet "
                                 "(available: kill, terminate, pause, restart)",
                                 spec.action));
  }
}

std::unique_ptr<Fault> make_fault(const scenario::FaultSpec& spec,
                                  deploy::Deployment& deployment) {
  check_supported(spec);
  deploy::ServerNode* node = deployment.find_node(spec.target);
  if (node == nullptr) {
    throw InputError(spec.where, fmt::format("fault target {} is not a server of this run",
                                             spec.target));
  }
  return std::make_unique<ProcessFault>(kProcessFaults.find(spec.action)->second, *node,
                                        deployment.io());
}

}  // namespace lbchaos::faults
