#include "harness/faults/process_faults.h"

#include <fmt/format.h>

#include <csignal>

#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"
#include "harness/faults/families.h"
#include "harness/faults/node_restart.h"

#include <map>

namespace lbchaos::faults {

using namespace std::chrono_literals;

namespace {

constexpr auto kRestartGrace = 2s;

const std::map<std::string, ProcessFault::Kind, std::less<>> kActions{
    {"kill", ProcessFault::Kind::kKill},
    {"terminate", ProcessFault::Kind::kTerminate},
    {"pause", ProcessFault::Kind::kPause},
    {"restart", ProcessFault::Kind::kRestart},
};

}  // namespace

bool is_process_action(std::string_view action) { return kActions.count(action) != 0; }

std::unique_ptr<Fault> make_process_fault(const scenario::FaultSpec& spec,
                                          deploy::Deployment& deployment) {
  const auto kind = kActions.find(spec.action);
  if (kind == kActions.end()) return nullptr;
  deploy::ServerNode* node = deployment.find_node(spec.target);
  if (node == nullptr) {
    throw InputError(spec.where,
                     fmt::format("fault target {} is not a server of this run", spec.target));
  }
  return std::make_unique<ProcessFault>(kind->second, *node, deployment.io());
}

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
