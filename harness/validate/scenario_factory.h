#pragma once

#include <optional>
#include <string>

#include "harness/model/model.h"

// The one place where `lbchaos validate` spells faults and expectations: the generated suite
// builds every FaultSpec and Expectation through these, so a change in the fault or probe
// catalogue is adapted here only.
namespace lbchaos::validate {

[[nodiscard]] scenario::FaultSpec kill_fault(const std::string& server, Duration at,
                                             Duration heal_after);
[[nodiscard]] scenario::FaultSpec health_fail_fault(const std::string& server, Duration at,
                                                    Duration heal_after);
// A graceful reload of the running config, unchanged, through the master CLI; healed by a
// second one.
[[nodiscard]] scenario::FaultSpec reload_fault(const std::string& instance, Duration at,
                                               Duration heal_after);

[[nodiscard]] scenario::Expectation at_least(std::string probe, double threshold,
                                             std::string target = {});
[[nodiscard]] scenario::Expectation at_most(std::string probe, double threshold,
                                            std::string target = {});
[[nodiscard]] scenario::Expectation p99_at_most(double seconds);

}  // namespace lbchaos::validate
