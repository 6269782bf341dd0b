#pragma once

#include "harness/deploy/server_node.h"
#include "faults/catalogue.h"
#include "faults/fault.h"

// The process family: faults on a server node's process group. kill (SIGKILL, healed by
// starting it again), terminate (SIGTERM, the same), pause (SIGSTOP, healed by SIGCONT) and
// restart (graceful stop, then start again at once). No parameters.
namespace lbchaos::faults {

extern const Family kProcessFamily;

// The action names other code builds faults with (the catalogue below declares them).
inline constexpr std::string_view kKillAction = "kill";

class ProcessFault : public Fault {
 public:
  enum class Kind { kKill, kTerminate, kPause, kRestart };

  ProcessFault(Kind kind, deploy::ServerNode& node, boost::asio::io_context& io)
      : kind_(kind), node_(node), io_(io) {}

  boost::asio::awaitable<std::string> inject() override;
  boost::asio::awaitable<std::string> heal() override;

 private:
  Kind kind_;
  deploy::ServerNode& node_;
  boost::asio::io_context& io_;
};

}  // namespace lbchaos::faults
