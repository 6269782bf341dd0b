#pragma once

#include <unistd.h>

#include <memory>  // boost/process/extend.hpp (1.74) uses std::unique_ptr without including it

#include <boost/process/extend.hpp>

namespace lbchaos::process {

// Runs in the forked child just before exec (Boost.Process on_exec_setup):
//  - its own process group, so "kill a node" reaches everything it forks;
//  - SIGKILL when the harness dies (PR_SET_PDEATHSIG), and exit at once if it already has;
//  - no descriptor of the harness leaks into it (close_range CLOEXEC from fd 3);
//  - stdin from /dev/null, stdout and stderr appended to the node's log file.
// Only async-signal-safe calls here: this runs between fork and exec.
struct SpawnHygiene : boost::process::extend::handler {
  pid_t harness_pid;
  int log_fd;
  int null_fd;

  template <typename Executor>
  void on_exec_setup(Executor& /*executor*/) const {
    apply_in_child();
  }

  void apply_in_child() const;
};

}  // namespace lbchaos::process
