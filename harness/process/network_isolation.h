#pragma once

#include <string>

// The second wall of DESIGN.md's safety rule (the first: every address of a run is rewritten to
// loopback): a run's processes — harness, haproxy, nodes — live in a private network namespace
// that holds nothing but loopback, so no address written anywhere can reach another machine.
namespace lbchaos::process {

struct NetworkIsolation {
  bool isolated = false;
  std::string why;  // for the journal and the log: how the run is (or is not) walled off
};

// With `wanted` and as root: unshare(CLONE_NEWNET) and bring `lo` up. Must run before the process
// opens any socket or starts any thread (a namespace is per thread; sockets keep theirs).
// Not root, or unshare refused (a container without CAP_SYS_ADMIN): not isolated, and `why`
// says so. Throws EnvironmentError when the namespace was made but loopback cannot come up.
[[nodiscard]] NetworkIsolation isolate_network(bool wanted);

}  // namespace lbchaos::process
