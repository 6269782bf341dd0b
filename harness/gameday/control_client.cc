#include "harness/gameday/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "harness/common/clock.h"
#include "harness/common/errors.h"

namespace lbchaos::gameday {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, MonoTime deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - mono_now());
    if (left.count() <= 0) return false;
    pollfd entry{fd, events, 0};
    const int n = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

ControlResponse send_request(const std::filesystem::path& socket, const ControlRequest& request,
                             std::chrono::milliseconds timeout) {
  const MonoTime deadline = mono_now() + timeout;
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (fd.get() < 0 || path.size() >= sizeof address.sun_path) {
    throw EnvironmentError(fmt::format("cannot use control socket {}", path));
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw EnvironmentError(fmt::format("cannot connect to control socket {}: {}", path,
                                       std::strerror(errno)));
  }
  const std::string out = encode(request);
  std::size_t written = 0;
  while (written < out.size()) {
    if (!wait_for(fd.get(), POLLOUT, deadline)) break;
    const ssize_t n = ::send(fd.get(), out.data() + written, out.size() - written, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  if (written < out.size()) {
    throw EnvironmentError(fmt::format("cannot send the request to {}", path));
  }
  std::string in;
  char buffer[4096];
  while (in.find('\n') == std::string::npos && in.size() <= kMaxLineBytes) {
    if (!wait_for(fd.get(), POLLIN, deadline)) {
      throw EnvironmentError(fmt::format("no answer from {} within {} ms", path, timeout.count()));
    }
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buffer, static_cast<std::size_t>(n));
  }
  try {
    return decode_response(in.substr(0, in.find('\n')));
  } catch (const std::invalid_argument& e) {
    throw EnvironmentError(fmt::format("bad answer from {}: {}", path, e.what()));
  }
}

}  // namespace lbchaos::gameday
