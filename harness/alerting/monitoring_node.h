#pragma once

// clang-format off
#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/clock.h"
#include "harness/process/child_process.h"
#include "harness/process/port_reservation.h"
#include "harness/topology/endpoints.h"

// Prometheus or Alertmanager run as a node of the run, supervised like haproxy: its own process
// group and parent-death signal (process::ChildProcess), its log and files in `dir`, a loopback
// port reserved from construction (so configs can name it) until the start.
namespace lbchaos::alerting {

// Resolves `name` through PATH. Throws EnvironmentError naming the Debian package to install.
[[nodiscard]] std::filesystem::path find_debian_binary(const std::string& name,
                                                       std::string_view debian_package);

class MonitoringNode {
 public:
  MonitoringNode(std::string name, std::filesystem::path executable, std::filesystem::path dir,
                 std::map<std::string, std::string> environment);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const topology::Endpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] const std::filesystem::path& log_file() const { return log_file_; }
  [[nodiscard]] pid_t pid() const { return child_ ? child_->pid() : -1; }
  [[nodiscard]] bool running() const { return child_ && child_->running(); }
  // "prometheus (pid 123) exited: killed by SIGKILL" once it exited on its own (not by stop()).
  [[nodiscard]] std::optional<std::string> died() const;

  // Spawns `executable args...` in dir(). Throws EnvironmentError.
  void start(boost::asio::io_context& io, std::vector<std::string> args);
  // Polls GET /-/ready until it answers 200. Throws EnvironmentError (with the log's tail) when
  // the node exits first or `deadline` passes.
  boost::asio::awaitable<void> wait_ready(MonoTime deadline);
  // SIGTERM to its group, `grace`, then SIGKILL. No-op when it was never started.
  boost::asio::awaitable<void> stop(std::chrono::nanoseconds grace);

  // "prometheus (pid 123) did not ... " + the log's tail: for EnvironmentError messages.
  [[nodiscard]] std::string failure(std::string_view what) const;

 private:
  std::string name_;
  std::filesystem::path executable_;
  std::filesystem::path dir_;
  std::filesystem::path log_file_;
  std::map<std::string, std::string> environment_;
  process::PortReservation reservation_;
  topology::Endpoint endpoint_;
  std::unique_ptr<process::ChildProcess> child_;
  bool stopping_ = false;
};

}  // namespace lbchaos::alerting
