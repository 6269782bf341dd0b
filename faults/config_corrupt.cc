// config_corrupt (declared in lb_faults.h).
#include <sys/stat.h>

#include <fmt/format.h>

#include <fstream>

#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "faults/lb_control.h"
#include "faults/load_balancer.h"
#include "harness/observe/readiness.h"

namespace lbchaos::faults {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kReloadTimeout = 10s;
constexpr auto kStopGrace = 3s;

void write_private(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw EnvironmentError(fmt::format("cannot write {}", path.string()));
  ::chmod(path.c_str(), 0600);
}

}  // namespace

ConfigCorruptFault::ConfigCorruptFault(deploy::Deployment& deployment,
                                       deploy::HaproxyInstance& instance, const std::string& mode,
                                       Apply apply)
    : deployment_(deployment),
      instance_(instance),
      mode_(mode),
      apply_(apply),
      good_config_(read_config(instance.config_path())),
      corruption_(corrupt(good_config_, mode)) {}

void ConfigCorruptFault::install(const std::string& text) const { instance_.write_config(text); }

asio::awaitable<std::string> ConfigCorruptFault::inject() {
  // Both copies stay in the run directory for the journal and for --keep.
  const auto dir = instance_.config_path().parent_path();
  write_private(dir / fmt::format("haproxy.{}.cfg", mode_), corruption_.text);
  write_private(dir / "haproxy.good.cfg", good_config_);
  install(corruption_.text);
  // Not a conditional expression: GCC 12 mishandles co_await inside one (double destruction).
  if (apply_ == Apply::kReload) co_return co_await inject_by_reload();
  co_return co_await inject_by_restart();
}

asio::awaitable<std::string> ConfigCorruptFault::inject_by_reload() {
  if (!instance_.running()) {
    throw EnvironmentError(fmt::format("config_corrupt cannot reload {}: it is not running",
                                       instance_.name()));
  }
  const auto outcome = co_await reload_and_observe(instance_, kReloadTimeout);
  refused_ = !outcome.accepted;
  if (reloads_ != nullptr) {
    reloads_->push_back(scenario::ReloadEvent{to_ns(outcome.requested), instance_.index(),
                                              outcome.accepted, outcome.old_worker_kept,
                                              outcome.detail});
  }
  co_return fmt::format("{}: {}; applied by reload, {}", instance_.name(), corruption_.summary,
                        outcome.detail);
}

asio::awaitable<std::string> ConfigCorruptFault::inject_by_restart() {
  const pid_t old_pid = instance_.pid();
  co_await instance_.stop(kStopGrace);
  const auto log_offset = file_size_or_zero(instance_.log_file());
  instance_.start(deployment_.io(), deployment_.haproxy_binary(),
                  haproxy_working_dir(deployment_.topology()));
  // haproxy either refuses the config and exits at once, or listens with it.
  const MonoTime deadline = mono_now() + deployment_.topology().haproxy.ready_timeout;
  bool listening = true;
  for (const auto& [key, endpoint] : instance_.endpoints().binds) {
    listening = co_await observe::wait_until_accepting(endpoint, deadline,
                                                       [this] { return !instance_.running(); });
    if (!listening) break;
  }
  const std::string restarted =
      fmt::format("{}: {}; applied by restart (stopped pid {})", instance_.name(),
                  corruption_.summary, old_pid);
  if (listening) {
    co_return fmt::format("{}, haproxy accepted it and serves (pid {})", restarted,
                          instance_.pid());
  }
  refused_ = true;
  const auto status = instance_.process()->exit_status();
  const std::string alerts = alerts_since(instance_.log_file(), log_offset);
  co_return fmt::format("{}, haproxy {}{}; nothing serves until the heal", restarted,
                        status ? "refused it and exited with " + status->to_string()
                               : "did not listen within ready_timeout",
                        alerts.empty() ? "" : " (" + alerts + ")");
}

asio::awaitable<std::string> ConfigCorruptFault::heal() {
  install(good_config_);
  if (apply_ == Apply::kRestart) {
    if (instance_.running()) co_await instance_.stop(kStopGrace);
    const std::string serving = co_await start_serving(deployment_, instance_);
    co_return fmt::format("put the good config back and started {} again ({})", instance_.name(),
                          serving);
  }
  if (refused_) {
    // Reloading would replace a worker that runs exactly the good config.
    co_return fmt::format("put the good config back; {} never left it (the reload was refused), "
                          "so there is nothing to reload",
                          instance_.name());
  }
  const MonoTime started = mono_now();
  const auto outcome = co_await reload_and_observe(instance_, kReloadTimeout);
  if (!outcome.accepted) {
    throw EnvironmentError(fmt::format("haproxy {} refused its good config on reload: {}",
                                       instance_.name(), outcome.detail));
  }
  co_await wait_serving(deployment_, instance_,
                        started + deployment_.topology().haproxy.ready_timeout);
  co_return fmt::format("put the good config back and reloaded {} ({}); serving after {}",
                        instance_.name(), outcome.detail, human_duration(mono_now() - started));
}

}  // namespace lbchaos::faults
