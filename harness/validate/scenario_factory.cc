#include "harness/validate/scenario_factory.h"

#include <string>

namespace lbchaos::validate {
namespace {

scenario::FaultSpec fault(std::string action, const std::string& target, Duration at,
                          Duration heal_after) {
  scenario::FaultSpec spec;
  spec.action = std::move(action);
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
  return fault("kill", server, at, heal_after);
}

scenario::FaultSpec health_fail_fault(const std::string& server, Duration at,
                                      Duration heal_after) {
  return fault("health_fail", server, at, heal_after);
}

scenario::FaultSpec reload_fault(const std::string& instance, Duration at, Duration heal_after) {
  auto spec = fault("config_corrupt", instance, at, heal_after);
  spec.params["mode"] = std::string("unchanged");
  spec.params["apply"] = std::string("reload");
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
