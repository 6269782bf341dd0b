#pragma once

#include <string>

namespace lbchaos::process {

// A loopback TCP port held for the whole run: a socket bound (not listening) with SO_REUSEADDR
// and SO_REUSEPORT. No other bind(0) on the machine gets this port, so concurrent runs never
// collide, while haproxy and the built-in backend (both use SO_REUSEPORT) can still bind it,
// also after a restart. Command backends may not set SO_REUSEPORT: release() before starting
// them.
class PortReservation {
 public:
  // An ephemeral port chosen by the kernel. Throws EnvironmentError.
  explicit PortReservation(const std::string& host);
  // A fixed port the user asked for; EnvironmentError when anything already uses it.
  PortReservation(const std::string& host, int port);
  ~PortReservation();
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&& other) noexcept;
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::string& host() const { return host_; }
  void release();

 private:
  std::string host_;
  int port_ = 0;
  int fd_ = -1;
};

}  // namespace lbchaos::process
