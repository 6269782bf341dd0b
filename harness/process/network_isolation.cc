#include "harness/process/network_isolation.h"

#include <fmt/format.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/common/errors.h"

namespace lbchaos::process {
namespace {

// A new namespace's `lo` is down: without it not even 127.0.0.1 works.
void bring_loopback_up() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw EnvironmentError(fmt::format("cannot open a socket to bring up loopback in the private "
                                       "network namespace: {}", std::strerror(errno)));
  }
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  int result = ::ioctl(fd, SIOCGIFFLAGS, &request);
  if (result == 0) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    result = ::ioctl(fd, SIOCSIFFLAGS, &request);
  }
  const int error = errno;
  ::close(fd);
  if (result != 0) {
    throw EnvironmentError(fmt::format("cannot bring up loopback in the private network "
                                       "namespace: {} (use --no-isolate to run in the host's)",
                                       std::strerror(error)));
  }
}

}  // namespace

NetworkIsolation isolate_network(bool wanted) {
  if (!wanted) return {false, "--no-isolate: the run shares the host's network namespace"};
  if (::geteuid() != 0) {
    return {false, "not root: the run shares the host's network namespace (as root, it gets a "
                   "private one holding only loopback)"};
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    return {false, fmt::format("unshare(CLONE_NEWNET) failed ({}): the run shares the host's "
                               "network namespace",
                               std::strerror(errno))};
  }
  bring_loopback_up();
  return {true, "a private network namespace holding only loopback (harness, haproxy and nodes)"};
}

}  // namespace lbchaos::process
