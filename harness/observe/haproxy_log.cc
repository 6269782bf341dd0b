#include "harness/observe/haproxy_log.h"

namespace lbchaos::observe {

std::string_view syslog_message(std::string_view datagram) {
  while (!datagram.empty() && (datagram.back() == '\n' || datagram.back() == '\0')) {
    datagram.remove_suffix(1);
  }
  // The tag ends at the first "]: " (tag[pid]: ); everything after it is haproxy's message.
  const auto tag_end = datagram.find("]: ");
  if (tag_end != std::string_view::npos) return datagram.substr(tag_end + 3);
  return datagram;
}

std::optional<ServerStateChange> parse_server_state_change(std::string_view message) {
  constexpr std::string_view kPrefix = "Server ";
  auto at = message.find(kPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  message.remove_prefix(at + kPrefix.size());
  const auto space = message.find(' ');
  const auto slash = message.find('/');
  if (space == std::string_view::npos || slash == std::string_view::npos || slash > space) {
    return std::nullopt;
  }
  ServerStateChange change;
  change.backend = message.substr(0, slash);
  change.server = message.substr(slash + 1, space - slash - 1);
  auto rest = message.substr(space + 1);
  if (rest.rfind("is going DOWN for maintenance", 0) == 0) {
    change.state = "MAINT";
  } else if (rest.rfind("is UP", 0) == 0) {
    change.state = "UP";
  } else if (rest.rfind("is DOWN", 0) == 0) {
    change.state = "DOWN";
  } else if (rest.rfind("is going DOWN", 0) == 0 || rest.rfind("was DOWN", 0) == 0) {
    change.state = "DOWN";
  } else if (rest.rfind("is leaving forced drain", 0) == 0 ||
             rest.rfind("is UP/READY", 0) == 0) {
    change.state = "UP";
  } else if (rest.rfind("enters drain", 0) == 0 || rest.rfind("is entering drain", 0) == 0) {
    change.state = "DRAIN";
  } else {
    return std::nullopt;
  }
  const auto comma = rest.find(", ");
  if (comma != std::string_view::npos) change.reason = rest.substr(comma + 2);
  return change;
}

}  // namespace lbchaos::observe
