#include "harness/faults/lb_faults.h"

#include <fmt/format.h>

#include <csignal>
#include <stdexcept>

#include "harness/common/errors.h"
#include "harness/faults/families.h"
#include "harness/faults/lb_control.h"

namespace lbchaos::faults {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kKillWait = 5s;

deploy::HaproxyInstance& instance_of(const scenario::FaultSpec& spec,
                                     deploy::Deployment& deployment) {
  for (auto& instance : deployment.instances()) {
    if (instance->name() == spec.target) return *instance;
  }
  throw InputError(spec.where, fmt::format("fault target {} is not an haproxy instance of this "
                                           "run (instances: lb0 to lb{})",
                                           spec.target, deployment.instances().size() - 1));
}

// The seed-000 runbook: reconfigure from the saved config, start, wait until it serves.
asio::awaitable<std::string> restore(deploy::Deployment& deployment,
                                     deploy::HaproxyInstance& instance,
                                     const std::string& saved_config) {
  instance.write_config(saved_config);
  const std::string serving = co_await start_serving(deployment, instance);
  co_return fmt::format("started {} again from the saved config {} ({})", instance.name(),
                        instance.config_path().string(), serving);
}

}  // namespace

bool is_lb_action(std::string_view action) {
  return action == "lb_kill" || action == "lb_restore" || action == "config_corrupt";
}

std::unique_ptr<Fault> make_lb_fault(const scenario::FaultSpec& spec,
                                     deploy::Deployment& deployment) {
  if (!is_lb_action(spec.action)) return nullptr;
  auto& instance = instance_of(spec, deployment);
  if (spec.action == "lb_kill") return std::make_unique<LbKillFault>(deployment, instance);
  if (spec.action == "lb_restore") return std::make_unique<LbRestoreFault>(deployment, instance);
  const auto apply = spec.params.apply == "restart" ? ConfigCorruptFault::Apply::kRestart
                                                    : ConfigCorruptFault::Apply::kReload;
  try {
    return std::make_unique<ConfigCorruptFault>(deployment, instance, spec.params.mode, apply);
  } catch (const std::invalid_argument& e) {
    throw InputError(spec.where, fmt::format("config_corrupt mode {} on {}: {}", spec.params.mode,
                                             spec.target, e.what()));
  }
}

LbKillFault::LbKillFault(deploy::Deployment& deployment, deploy::HaproxyInstance& instance)
    : deployment_(deployment),
      instance_(instance),
      saved_config_(read_config(instance.config_path())) {}

asio::awaitable<std::string> LbKillFault::inject() {
  if (!instance_.running()) {
    co_return fmt::format("{} was not running: nothing to kill", instance_.name());
  }
  const pid_t pid = instance_.pid();
  instance_.expect_exit();
  instance_.process()->signal_group(SIGKILL);
  co_await instance_.process()->wait_exit(kKillWait);
  co_return fmt::format("SIGKILL to process group {} ({}: master and workers)", pid,
                        instance_.name());
}

asio::awaitable<std::string> LbKillFault::heal() {
  if (instance_.running()) {
    co_return fmt::format("nothing to do: {} was restored already (pid {})", instance_.name(),
                          instance_.pid());
  }
  co_return co_await restore(deployment_, instance_, saved_config_);
}

LbRestoreFault::LbRestoreFault(deploy::Deployment& deployment, deploy::HaproxyInstance& instance)
    : deployment_(deployment),
      instance_(instance),
      saved_config_(read_config(instance.config_path())) {}

asio::awaitable<std::string> LbRestoreFault::inject() {
  if (instance_.running()) {
    co_return fmt::format("{} is running (pid {}): nothing to restore", instance_.name(),
                          instance_.pid());
  }
  co_return co_await restore(deployment_, instance_, saved_config_);
}

asio::awaitable<std::string> LbRestoreFault::heal() {
  co_return std::string("nothing to undo: the instance stays up");
}

}  // namespace lbchaos::faults
