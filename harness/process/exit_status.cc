#include "harness/process/exit_status.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <csignal>
#include <cstring>

namespace lbchaos::process {

ExitStatus ExitStatus::from_wait_status(int raw) {
  if (WIFSIGNALED(raw)) return {true, WTERMSIG(raw)};
  if (WIFEXITED(raw)) return {false, WEXITSTATUS(raw)};
  return {false, raw};
}

std::string ExitStatus::to_string() const {
  if (!signaled) return fmt::format("exit code {}", value);
  const char* abbrev = sigabbrev_np(value);
  return abbrev != nullptr ? fmt::format("killed by SIG{}", abbrev)
                           : fmt::format("killed by signal {}", value);
}

}  // namespace lbchaos::process
