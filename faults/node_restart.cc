#include "faults/node_restart.h"

#include <fmt/format.h>

#include <chrono>

#include "harness/common/clock.h"
#include "harness/common/errors.h"
#include "harness/process/listening_sockets.h"

namespace lbchaos::faults {

using namespace std::chrono_literals;

namespace {

constexpr auto kRestartListenTimeout = 10s;

}  // namespace

boost::asio::awaitable<std::string> start_node_again(deploy::ServerNode& node,
                                                     boost::asio::io_context& io) {
  node.start(io);
  const bool listening =
      co_await node.wait_listening(mono_now() + kRestartListenTimeout, [] { return false; });
  if (!listening) {
    throw EnvironmentError(fmt::format("{} did not listen again after a restart{}", node.key(),
                                       node.log_tail()));
  }
  // Another process may have taken the port while the node was down: then the connection the
  // wait made went to it, and the node is not serving (it exits, unable to bind).
  if (!process::listens_on(node.pid(), node.endpoint().port)) {
    throw EnvironmentError(fmt::format("{} did not listen again after a restart: port {} accepts "
                                       "connections, but another process holds it{}",
                                       node.key(), node.endpoint().port, node.log_tail()));
  }
  co_return fmt::format("started {} again (pid {})", node.key(), node.pid());
}

}  // namespace lbchaos::faults
