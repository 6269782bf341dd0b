#pragma once

#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/process/exit_status.h"

namespace lbchaos::process {

struct SpawnSpec {
  std::filesystem::path executable;  // absolute (see find_executable)
  std::vector<std::string> args;
  std::filesystem::path working_dir;
  std::filesystem::path log_file;  // stdout and stderr are appended here
  std::map<std::string, std::string> extra_env;
};

// One child process the harness owns, in its own process group, reaped exactly once by
// Boost.Process's on_exit on the run's io_context. Stopping is explicit: signal the group,
// wait for a grace period, escalate to SIGKILL. Destroying a still-running child SIGKILLs
// its group, so an exception can never leave a node behind.
class ChildProcess {
 public:
  // Throws EnvironmentError if the program cannot be started.
  ChildProcess(boost::asio::io_context& io, const SpawnSpec& spec);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running() const;
  [[nodiscard]] std::optional<ExitStatus> exit_status() const;

  // Called once, on the io_context, when the child has been reaped.
  void on_exit(std::function<void(const ExitStatus&)> callback);

  // Sends `signal` to the whole process group. No-op once the child has been reaped (its pid,
  // and so its group id, may belong to someone else by then).
  void signal_group(int signal) const;

  // Completes when the child has been reaped, or after `timeout`: returns the status if it exited.
  boost::asio::awaitable<std::optional<ExitStatus>> wait_exit(std::chrono::nanoseconds timeout);

  // SIGTERM (or `first_signal`) to the group, wait `grace`, then SIGKILL and wait for the reap.
  boost::asio::awaitable<ExitStatus> stop(std::chrono::nanoseconds grace, int first_signal = 15);

 private:
  struct State;
  std::shared_ptr<State> state_;
  pid_t pid_ = -1;
};

// Resolves a program name through PATH (or checks an explicit path). Throws EnvironmentError.
[[nodiscard]] std::filesystem::path find_executable(const std::string& name);

// The running lbchaos binary itself (used to start built-in backends).
[[nodiscard]] std::filesystem::path self_executable();

}  // namespace lbchaos::process
