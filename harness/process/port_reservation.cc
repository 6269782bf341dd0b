#include "harness/process/port_reservation.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "harness/common/errors.h"
#include "harness/common/loopback.h"

namespace lbchaos::process {

namespace {

socklen_t fill_address(const std::string& host, int port, sockaddr_storage& storage) {
  storage = {};
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    return sizeof(sockaddr_in6);
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&storage);
  a->sin_family = AF_INET;
  a->sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &a->sin_addr);
  return sizeof(sockaddr_in);
}

// A plain bind (no SO_REUSEPORT) fails if any socket, a stale haproxy's included, holds the port.
bool port_is_free(const std::string& host, int port) {
  sockaddr_storage storage{};
  const socklen_t length = fill_address(host, port, storage);
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0;
  ::close(fd);
  return free;
}

}  // namespace

PortReservation::PortReservation(const std::string& host, int port) : PortReservation(host) {
  // Swap the ephemeral reservation for the requested port.
  release();
  if (!port_is_free(host, port)) {
    throw EnvironmentError(fmt::format("port {}:{} is already in use", host, port));
  }
  sockaddr_storage storage{};
  const socklen_t length = fill_address(host, port, storage);
  fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd_ < 0 || ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      ::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    const std::string reason = std::strerror(errno);
    release();
    throw EnvironmentError(fmt::format("cannot reserve port {}:{}: {}", host, port, reason));
  }
  port_ = port;
}

PortReservation::PortReservation(const std::string& host) : host_(host) {
  if (!is_loopback_address(host)) {
    throw EnvironmentError(fmt::format("refusing to bind {}: not a loopback address", host));
  }
  sockaddr_storage storage{};
  socklen_t length = fill_address(host, 0, storage);
  const bool v6 = storage.ss_family == AF_INET6;
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd_ < 0 || ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      ::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    const std::string reason = std::strerror(errno);
    release();
    throw EnvironmentError(fmt::format("cannot reserve a port on {}: {}", host, reason));
  }
  port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                   : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

PortReservation::~PortReservation() { release(); }

PortReservation::PortReservation(PortReservation&& other) noexcept
    : host_(std::move(other.host_)), port_(other.port_), fd_(std::exchange(other.fd_, -1)) {}

PortReservation& PortReservation::operator=(PortReservation&& other) noexcept {
  if (this != &other) {
    release();
    host_ = std::move(other.host_);
    port_ = other.port_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void PortReservation::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace lbchaos::process
