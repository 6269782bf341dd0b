#include "harness/validate/scenario_factory.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "faults/backend_behaviour.h"
#include "faults/catalogue.h"
#include "faults/config_corruption.h"
#include "faults/load_balancer.h"
#include "faults/process.h"

namespace lbchaos::validate {
namespace {

// Every action is one the catalogue declares: a renamed action fails here, not in a run.
scenario::FaultSpec fault(std::string_view action, const std::string& target, Duration at,
                          Duration heal_after) {
  if (faults::find_action(action) == nullptr) {
    throw std::logic_error(fmt::format("the fault catalogue has no action {}", action));
  }
  scenario::FaultSpec spec;
  spec.action = std::string(action);
  spec.target = target;
  spec.at = at;
  spec.heal_after = heal_after;
  return spec;
}

scenario::Expectation expectation(std::string probe, std::string target) {
  scenario::Expectation e;
  e.probe = std::move(probe);
  e.target = std::move(target);
  e.during = scenario::Window::kAll;  // the suite hands each probe one phase of the run
  return e;
}

}  // namespace

scenario::FaultSpec kill_fault(const std::string& server, Duration at, Duration heal_after) {
  return fault(faults::kKillAction, server, at, heal_after);
}

scenario::FaultSpec health_fail_fault(const std::string& server, Duration at,
                                      Duration heal_after) {
  return fault(faults::kHealthFailAction, server, at, heal_after);
}

scenario::FaultSpec reload_fault(const std::string& instance, Duration at, Duration heal_after) {
  auto spec = fault(faults::kConfigCorruptAction, instance, at, heal_after);
  spec.params[std::string(faults::kModeParam)] = std::string(faults::kUnchangedMode);
  spec.params[std::string(faults::kApplyParam)] = std::string(faults::kApplyByReload);
  return spec;
}

scenario::Expectation at_least(std::string probe, double threshold, std::string target) {
  auto e = expectation(std::move(probe), std::move(target));
  e.at_least = threshold;
  return e;
}

scenario::Expectation at_most(std::string probe, double threshold, std::string target) {
  auto e = expectation(std::move(probe), std::move(target));
  e.at_most = threshold;
  return e;
}

scenario::Expectation p99_at_most(double seconds) {
  auto e = at_most("latency", seconds);
  e.percentile = 99;
  return e;
}

}  // namespace lbchaos::validate
