#include "faults/load_balancer.h"

#include <fmt/format.h>

#include <array>
#include <csignal>
#include <stdexcept>

#include "faults/lb_control.h"
#include "harness/common/errors.h"

namespace lbchaos::faults {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kKillWait = 5s;

constexpr std::array<std::string_view, 2> kApplyModes{kApplyByReload, kApplyByRestart};

constexpr std::array<ParamInfo, 2> kConfigCorruptParams{{
    {.key = kModeParam, .type = ParamType::kChoice,
     .meaning = "what to break (config_corruption.h)", .example = "mode = \"unknown_keyword\"",
     .choices = kCorruptionModes},
    {.key = kApplyParam, .type = ParamType::kChoice,
     .meaning = "reload (master CLI; the old worker must keep serving) or restart",
     .default_toml = "\"reload\"", .choices = kApplyModes},
}};

constexpr std::array<EffectRule, 1> kOutage{{{scenario::kLbOutage}}};
// A bad config applied by restart stops haproxy until the good one is back (seed 001).
constexpr std::array<EffectRule, 2> kConfigEffects{{
    {scenario::kConfigChange},
    {scenario::kLbOutage, kApplyParam, kApplyByRestart},
}};

constexpr std::array<ActionInfo, 3> kActions{{
    {.name = "lb_kill", .targets = scenario::kInstance, .effects = kOutage, .verb = "killed",
     .summary = "SIGKILL to haproxy's master and workers; healed as lb_restore does"},
    {.name = "lb_restore", .targets = scenario::kInstance,
     .summary = "start haproxy again from the saved config and wait until it serves"},
    {.name = kConfigCorruptAction, .targets = scenario::kInstance, .params = kConfigCorruptParams,
     .effects = kConfigEffects,
     .summary = "a corrupted config applied by reload or restart; healed by the good one"},
}};

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

namespace {

std::unique_ptr<Fault> make(const FaultSpec& spec, deploy::Deployment& deployment) {
  auto& instance = instance_of(spec, deployment);
  if (spec.action == kActions[0].name) return std::make_unique<LbKillFault>(deployment, instance);
  if (spec.action == kActions[1].name) {
    return std::make_unique<LbRestoreFault>(deployment, instance);
  }
  const std::string mode = spec.param<std::string>(kModeParam).value_or("");
  const auto apply = spec.param<std::string>(kApplyParam) == std::string(kApplyByRestart)
                         ? ConfigCorruptFault::Apply::kRestart
                         : ConfigCorruptFault::Apply::kReload;
  try {
    return std::make_unique<ConfigCorruptFault>(deployment, instance, mode, apply);
  } catch (const std::invalid_argument& e) {
    throw InputError(spec.where, fmt::format("{} mode {} on {}: {}", spec.action, mode,
                                             spec.target, e.what()));
  }
}

}  // namespace

const Family kLoadBalancerFamily{.name = "load balancer", .actions = kActions, .make = &make};

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
