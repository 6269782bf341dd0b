#pragma once

#include <sys/types.h>

// Whether a process itself holds a listening TCP socket on a port (read from /proc): a port that
// accepts connections may belong to another process, and a restarted node is serving only when
// the listener is its own.
namespace lbchaos::process {

// True when `pid`, or a process of the group it leads, has an open socket in LISTEN state on
// `port` (IPv4 or IPv6, any address).
[[nodiscard]] bool listens_on(pid_t pid, int port);

}  // namespace lbchaos::process
