#include "harness/process/spawn_hygiene.h"

#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <csignal>

namespace lbchaos::process {

void SpawnHygiene::apply_in_child() const {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The harness may have died between fork() and prctl(): then nobody will ever kill us.
  if (getppid() != harness_pid) _exit(127);
  dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  // Boost.Process's own exec-error pipe is already close-on-exec, so this keeps it working.
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  // Ignored signals stay ignored across exec: give every node default handling.
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace lbchaos::process
