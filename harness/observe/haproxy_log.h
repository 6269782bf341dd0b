#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lbchaos::observe {

// A syslog datagram from haproxy, split. The harness's log target uses RFC 5424
// ("<134>1 2026-11-30T10:19:39.923483+00:00 - lbchaos-lb0 9578 - [sd] msg"); the BSD form
// ("<134>Nov 21 22:00:00 tag[pid]: msg") is understood too.
struct SyslogParts {
  std::string_view structured_data;  // "[id k=\"v\" ...]...", empty for "-" or the BSD form
  std::string_view message;
};

[[nodiscard]] SyslogParts split_syslog(std::string_view datagram);

// The message part alone.
[[nodiscard]] std::string_view syslog_message(std::string_view datagram);

// "Server app/web1 is DOWN, reason: ..." (health state changes haproxy logs on its own).
struct ServerStateChange {
  std::string backend;
  std::string server;
  std::string state;   // "UP", "DOWN", "MAINT" ("going DOWN for maintenance"), ...
  std::string reason;  // the rest of the line, for people
};

[[nodiscard]] std::optional<ServerStateChange> parse_server_state_change(std::string_view message);

// The harness's structured data on a traffic log line (harness/common/request_id.h):
// [lbchaos@32473 req="41" srv="app/web1" tr="1"].
struct RequestLogLine {
  std::uint32_t request = 0;  // the X-Lbchaos-Request the generator sent
  std::string_view backend;   // haproxy's %b
  std::string_view server;    // haproxy's %s, empty for <NOSRV> (haproxy chose none)
  // %Tr >= 0: the server sent the response headers. When false, haproxy made the response
  // itself (503 with no server available, 504 after the server timed out...).
  bool server_responded = false;
};

// nullopt for structured data without the harness's element, or with a request id, server or
// response time that is missing or malformed (a request that carried no id logs req="-").
[[nodiscard]] std::optional<RequestLogLine> parse_request_log_line(
    std::string_view structured_data);

}  // namespace lbchaos::observe
