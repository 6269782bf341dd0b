#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lbchaos::observe {

// The message part of a syslog datagram from haproxy: "<134>Nov 21 22:00:00 tag[pid]: msg".
[[nodiscard]] std::string_view syslog_message(std::string_view datagram);

// "Server app/web1 is DOWN, reason: ..." (health state changes haproxy logs on its own).
struct ServerStateChange {
  std::string backend;
  std::string server;
  std::string state;   // "UP", "DOWN", "MAINT" ("going DOWN for maintenance"), ...
  std::string reason;  // the rest of the line, for people
};

[[nodiscard]] std::optional<ServerStateChange> parse_server_state_change(std::string_view message);

}  // namespace lbchaos::observe
