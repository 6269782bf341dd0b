#pragma once

#include <string>

namespace lbchaos::process {

// How a child ended: a signal is not an exit code (Boost.Process's exit_code() can't tell).
struct ExitStatus {
  bool signaled = false;
  int value = 0;  // the exit code, or the signal number when signaled

  static ExitStatus from_wait_status(int raw);
  [[nodiscard]] bool clean() const { return !signaled && value == 0; }
  // "exit code 3", "killed by SIGKILL".
  [[nodiscard]] std::string to_string() const;
};

}  // namespace lbchaos::process
