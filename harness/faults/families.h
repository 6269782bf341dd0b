#pragma once

#include <memory>
#include <string_view>

#include "harness/faults/fault.h"

// One factory per fault family (one .cc each). A factory returns nullptr for an action that is
// not its own; fault.cc asks each family in turn.
namespace lbchaos::faults {

// kill, terminate, pause, restart (process_faults.cc)
std::unique_ptr<Fault> make_process_fault(const scenario::FaultSpec& spec,
                                          deploy::Deployment& deployment);
// set_weight, drain, maint, health_down through the admin stats socket (runtime_api_faults.cc)
std::unique_ptr<Fault> make_runtime_api_fault(const scenario::FaultSpec& spec,
                                              deploy::Deployment& deployment);
// errors, slow, hang, health_fail, overload through a built-in backend's control socket
// (backend_faults.cc)
std::unique_ptr<Fault> make_backend_fault(const scenario::FaultSpec& spec,
                                          deploy::Deployment& deployment);
// latency, bandwidth, reset, blackhole, slow_close, slice in the fault proxy (network_faults.cc)
std::unique_ptr<Fault> make_network_fault(const scenario::FaultSpec& spec,
                                          deploy::Deployment& deployment);
// lb_kill, lb_restore, config_corrupt (lb_faults.cc)
std::unique_ptr<Fault> make_lb_fault(const scenario::FaultSpec& spec,
                                     deploy::Deployment& deployment);

// Whether a family implements `action` (so `check_supported` can refuse the others early).
bool is_process_action(std::string_view action);
bool is_runtime_api_action(std::string_view action);
bool is_backend_action(std::string_view action);
bool is_network_action(std::string_view action);
bool is_lb_action(std::string_view action);

}  // namespace lbchaos::faults
