#include "harness/observe/haproxy_log.h"

#include <charconv>
#include <utility>

#include "harness/common/request_id.h"

namespace lbchaos::observe {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One SD-ELEMENT at the start of `text`, "[id name="value" ...]", where a value may escape '"',
// '\' and ']' with '\'. Its length, or nullopt when malformed.
std::optional<std::size_t> element_length(std::string_view text) {
  if (text.empty() || text.front() != '[') return std::nullopt;
  bool quoted = false;
  for (std::size_t at = 1; at < text.size(); ++at) {
    const char c = text[at];
    if (quoted && c == '\\') {
      ++at;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ']' && !quoted) {
      return at + 1;
    }
  }
  return std::nullopt;  // unterminated
}

// STRUCTURED-DATA at the start of `text`: "-", or one or more SD-ELEMENTs. Its length, or
// nullopt when malformed.
std::optional<std::size_t> structured_data_length(std::string_view text) {
  if (!text.empty() && text.front() == '-') return 1;
  std::size_t at = 0;
  while (at < text.size() && text[at] == '[') {
    const auto length = element_length(text.substr(at));
    if (!length) return std::nullopt;
    at += *length;
  }
  if (at == 0) return std::nullopt;
  return at;
}

// "<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]"
std::optional<SyslogParts> split_rfc5424(std::string_view datagram) {
  if (datagram.empty() || datagram.front() != '<') return std::nullopt;
  const auto pri_end = datagram.find('>');
  if (pri_end == std::string_view::npos || pri_end + 1 >= datagram.size() ||
      !is_digit(datagram[pri_end + 1])) {
    return std::nullopt;  // the BSD form has a month name here
  }
  std::size_t at = pri_end + 1;
  for (int field = 0; field < 6; ++field) {  // VERSION .. MSGID, each ended by a space
    const auto space = datagram.find(' ', at);
    if (space == std::string_view::npos) return std::nullopt;
    at = space + 1;
  }
  const auto rest = datagram.substr(at);
  const auto sd_length = structured_data_length(rest);
  if (!sd_length) return std::nullopt;
  SyslogParts parts;
  if (rest.front() != '-') parts.structured_data = rest.substr(0, *sd_length);
  auto message = rest.substr(*sd_length);
  if (!message.empty() && message.front() != ' ') return std::nullopt;
  if (!message.empty()) message.remove_prefix(1);
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (message.starts_with(kBom)) message.remove_prefix(kBom.size());
  parts.message = message;
  return parts;
}

// The raw value of `name="value"` in one SD element's parameters, or nullopt.
std::optional<std::string_view> sd_param(std::string_view params, std::string_view name) {
  std::size_t at = 0;
  while (at < params.size()) {
    while (at < params.size() && params[at] == ' ') ++at;
    const auto equals = params.find("=\"", at);
    if (equals == std::string_view::npos) return std::nullopt;
    const auto key = params.substr(at, equals - at);
    std::size_t end = equals + 2;
    while (end < params.size() && params[end] != '"') end += params[end] == '\\' ? 2 : 1;
    if (end >= params.size()) return std::nullopt;
    if (key == name) return params.substr(equals + 2, end - equals - 2);
    at = end + 1;
  }
  return std::nullopt;
}

}  // namespace

SyslogParts split_syslog(std::string_view datagram) {
  while (!datagram.empty() && (datagram.back() == '\n' || datagram.back() == '\0')) {
    datagram.remove_suffix(1);
  }
  if (auto parts = split_rfc5424(datagram)) return *parts;
  // BSD form: the tag ends at the first "]: " (tag[pid]: ); everything after it is the message.
  const auto tag_end = datagram.find("]: ");
  if (tag_end != std::string_view::npos) return {{}, datagram.substr(tag_end + 3)};
  return {{}, datagram};
}

std::string_view syslog_message(std::string_view datagram) {
  return split_syslog(datagram).message;
}

std::optional<RequestLogLine> parse_request_log_line(std::string_view structured_data) {
  static const std::string element_start = "[" + std::string(kRequestLogSdId) + " ";
  const auto begin = structured_data.find(element_start);
  if (begin == std::string_view::npos) return std::nullopt;
  const auto element = structured_data.substr(begin);
  const auto length = element_length(element);
  if (!length) return std::nullopt;
  // Between the SD-ID and the closing ']'.
  const auto params = element.substr(element_start.size(), *length - element_start.size() - 1);
  const auto req = sd_param(params, "req");
  const auto srv = sd_param(params, "srv");
  const auto tr = sd_param(params, "tr");
  if (!req || !srv || !tr) return std::nullopt;

  RequestLogLine line;
  const auto parsed_req =
      std::from_chars(req->data(), req->data() + req->size(), line.request);
  if (req->empty() || !is_digit(req->front()) || parsed_req.ec != std::errc() ||
      parsed_req.ptr != req->data() + req->size()) {
    return std::nullopt;
  }
  const auto slash = srv->find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == srv->size()) {
    return std::nullopt;
  }
  line.backend = srv->substr(0, slash);
  line.server = srv->substr(slash + 1);
  if (line.server == "<NOSRV>") line.server = {};
  long long response_ms = 0;
  const auto parsed_tr = std::from_chars(tr->data(), tr->data() + tr->size(), response_ms);
  if (tr->empty() || parsed_tr.ec != std::errc() || parsed_tr.ptr != tr->data() + tr->size()) {
    return std::nullopt;
  }
  line.server_responded = response_ms >= 0 && !line.server.empty();
  return line;
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
