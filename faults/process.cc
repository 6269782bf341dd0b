#include "faults/process.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <csignal>

#include "faults/node_restart.h"
#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"

namespace lbchaos::faults {

using namespace std::chrono_literals;

namespace {

constexpr auto kRestartGrace = 2s;

using scenario::kChecksFailAtOnce;
using scenario::kChecksHang;

constexpr std::array<EffectRule, 1> kFailsAtOnce{{{kChecksFailAtOnce}}};
constexpr std::array<EffectRule, 1> kHangs{{{kChecksHang}}};

// In the order of ProcessFault::Kind.
constexpr std::array<ActionInfo, 4> kActions{{
    {.name = kKillAction, .random_may_draw = true, .effects = kFailsAtOnce, .verb = "killed",
     .summary = "SIGKILL to the server's process group; healed by starting it again"},
    {.name = "terminate", .random_may_draw = true, .effects = kFailsAtOnce, .verb = "terminated",
     .summary = "SIGTERM to the server's process group; healed by starting it again"},
    {.name = "pause", .random_may_draw = true, .effects = kHangs, .verb = "paused",
     .summary = "SIGSTOP to the server's process group; healed by SIGCONT"},
    {.name = "restart", .random_may_draw = true, .verb = "restarted",
     .summary = "graceful stop, then start again at once"},
}};

std::unique_ptr<Fault> make(const FaultSpec& spec, deploy::Deployment& deployment) {
  const auto kind = static_cast<ProcessFault::Kind>(
      std::find_if(kActions.begin(), kActions.end(),
                   [&](const ActionInfo& a) { return a.name == spec.action; }) -
      kActions.begin());
  deploy::ServerNode* node = deployment.find_node(spec.target);
  if (node == nullptr) {
    throw InputError(spec.where,
                     fmt::format("fault target {} is not a server of this run", spec.target));
  }
  return std::make_unique<ProcessFault>(kind, *node, deployment.io());
}

}  // namespace

const Family kProcessFamily{.name = "process", .actions = kActions, .make = &make};

boost::asio::awaitable<std::string> ProcessFault::inject() {
  const pid_t pid = node_.pid();
  switch (kind_) {
    case Kind::kKill:
      node_.expect_exit();
      node_.process()->signal_group(SIGKILL);
      co_await node_.process()->wait_exit(5s);
      co_return fmt::format("SIGKILL to process group {} ({})", pid, node_.key());
    case Kind::kTerminate:
      node_.expect_exit();
      node_.process()->signal_group(SIGTERM);
      co_await node_.process()->wait_exit(5s);
      co_return fmt::format("SIGTERM to process group {} ({})", pid, node_.key());
    case Kind::kPause:
      node_.process()->signal_group(SIGSTOP);
      co_return fmt::format("SIGSTOP to process group {} ({})", pid, node_.key());
    case Kind::kRestart: {
      co_await node_.stop(kRestartGrace);
      const auto status = node_.process()->exit_status();
      const std::string stopped =
          fmt::format("stopped {} (pid {}, {})", node_.key(), pid,
                      status ? status->to_string() : std::string("still running"));
      // Not inside the format call: GCC 12 mis-destroys the temporaries of a full-expression
      // that holds a co_await (the restart aborted with munmap_chunk(): invalid pointer).
      const std::string started = co_await start_node_again(node_, io_);
      co_return fmt::format("{}; {}", stopped, started);
    }
  }
  co_return std::string();
}

boost::asio::awaitable<std::string> ProcessFault::heal() {
  switch (kind_) {
    case Kind::kPause:
      node_.process()->signal_group(SIGCONT);
      co_return fmt::format("SIGCONT to process group {} ({})", node_.pid(), node_.key());
    case Kind::kRestart:
      co_return "nothing to undo: the node was started again at once";
    case Kind::kKill:
    case Kind::kTerminate:
      co_return co_await start_node_again(node_, io_);
  }
  co_return std::string();
}

}  // namespace lbchaos::faults
