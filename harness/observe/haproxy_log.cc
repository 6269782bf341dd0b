#include "harness/observe/haproxy_log.h"

#include <utility>

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
  const auto rest = message.substr(space + 1);
  // Longest phrases first: "is going DOWN for maintenance" also starts with "is going DOWN".
  static constexpr std::pair<std::string_view, std::string_view> kPhrases[] = {
      {"is going DOWN for maintenance", "MAINT"}, {"is going DOWN", "DOWN"},
      {"is DOWN", "DOWN"},  {"was DOWN", "DOWN"},
      {"is UP/READY", "UP"}, {"is leaving forced drain", "UP"}, {"is UP", "UP"},
      {"enters drain", "DRAIN"}, {"is entering drain", "DRAIN"},
  };
  for (const auto& [phrase, state] : kPhrases) {
    if (rest.rfind(phrase, 0) != 0) continue;
    change.state = state;
    // What follows is the reason (stats socket/stderr form) or only counts (syslog form).
    auto reason = rest.substr(phrase.size());
    while (!reason.empty() && (reason.front() == ',' || reason.front() == '.' || reason.front() == ' ')) {
      reason.remove_prefix(1);
    }
    change.reason = reason;
    return change;
  }
  return std::nullopt;
}

}  // namespace lbchaos::observe
