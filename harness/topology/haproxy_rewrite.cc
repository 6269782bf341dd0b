#include "harness/topology/haproxy_rewrite.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "harness/common/errors.h"
#include "harness/common/loopback.h"
#include "harness/topology/haproxy_render.h"

// How logs reach the harness exactly once (verified against haproxy 2.6.12 with a UDP listener):
//  - `log global` copies the global log targets known *when that line is parsed*, so the
//    harness's `global` section (with its `log` line) is put at the very top of the file; a
//    `global` section appended at the end is accepted by haproxy but reaches no proxy.
//  - every `log` line of the user's global is commented out, so the global targets are exactly
//    the harness's syslog.
//  - a proxy inherits its defaults' log targets and `log global` skips targets it already has
//    (haproxy keeps a reference to the global target), so `log global` in both a defaults
//    section and a proxy still logs once. Every frontend/backend/listen therefore gets a
//    `log global` right after its header, and every other section-level `log <target>` / `no
//    log` is commented out: a `log <target>` would send a second copy (or none to the harness).
//  - backends and listens also get `option log-health-checks` (a frontend rejects it with a
//    warning); `no option log-health-checks` is commented out.
extern char** environ;

namespace lbchaos::topology {
namespace {

constexpr std::string_view kDefaultIndent = "    ";

// ---------------------------------------------------------------------------------------------
// Words of a config line, as haproxy splits them: blanks separate words, '\' escapes the next
// character, quotes group, and an unquoted '#' starts a comment even in the middle of a word.

struct Word {
  std::size_t begin = 0;  // offsets in the line
  std::size_t end = 0;
  std::string value;  // without quotes and escapes
};

// The character a backslash escape at line[i] stands for, as haproxy reads it (\r, \n, \t,
// \xHH, else the next character); `i` is left on the escape's last character.
char escaped(std::string_view line, std::size_t& i) {
  const char next = line[++i];
  if (next == 'r') return '\r';
  if (next == 'n') return '\n';
  if (next == 't') return '\t';
  if (next == 'x' && i + 2 < line.size() && std::isxdigit(static_cast<unsigned char>(line[i + 1])) &&
      std::isxdigit(static_cast<unsigned char>(line[i + 2]))) {
    const char value = static_cast<char>(std::stoi(std::string(line.substr(i + 1, 2)), nullptr, 16));
    i += 2;
    return value;
  }
  return next;
}

std::vector<Word> split_words(std::string_view line) {
  std::vector<Word> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size() || line[i] == '#') break;
    Word word;
    word.begin = i;
    char quote = 0;
    for (; i < line.size(); ++i) {
      const char c = line[i];
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
          word.value += escaped(line, i);
        } else {
          word.value += c;
        }
      } else if (c == ' ' || c == '\t' || c == '#') {
        break;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '\\' && i + 1 < line.size()) {
        word.value += escaped(line, i);
      } else {
        word.value += c;
      }
    }
    word.end = i;
    words.push_back(std::move(word));
  }
  return words;
}

std::string_view word_at(const std::vector<Word>& words, std::size_t index) {
  return index < words.size() ? std::string_view(words[index].value) : std::string_view();
}

std::string_view indent_of(std::string_view line) {
  return line.substr(0, line.find_first_not_of(" \t"));
}

std::string_view trimmed(std::string_view line) {
  const auto begin = line.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return line.substr(begin, line.find_last_not_of(" \t") + 1 - begin);
}

// ---------------------------------------------------------------------------------------------
// Sections.

enum class Section { kNone, kGlobal, kDefaults, kFrontend, kBackend, kListen, kOther };

std::optional<Section> section_keyword(std::string_view word) {
  if (word == "global") return Section::kGlobal;
  if (word == "defaults") return Section::kDefaults;
  if (word == "frontend") return Section::kFrontend;
  if (word == "backend") return Section::kBackend;
  if (word == "listen") return Section::kListen;
  for (const std::string_view other : {"peers", "resolvers", "userlist", "cache", "program",
                                       "http-errors", "ring", "mailers", "log-forward",
                                       "fcgi-app"}) {
    if (word == other) return Section::kOther;
  }
  return std::nullopt;
}

std::string_view section_word(Section s) {
  switch (s) {
    case Section::kGlobal: return "global";
    case Section::kDefaults: return "defaults";
    case Section::kFrontend: return "frontend";
    case Section::kBackend: return "backend";
    case Section::kListen: return "listen";
    case Section::kNone:
    case Section::kOther: break;
  }
  return "section";
}

bool is_proxy(Section s) {
  return s == Section::kFrontend || s == Section::kBackend || s == Section::kListen;
}
bool has_binds(Section s) { return s == Section::kFrontend || s == Section::kListen; }
bool has_servers(Section s) { return s == Section::kBackend || s == Section::kListen; }

struct ParsedLine {
  int number = 0;  // 1-based
  std::string_view text;
  std::vector<Word> words;
  Section section = Section::kNone;  // the section this line is in (a header opens its own)
  std::string section_name;          // proxy or defaults name; the keyword for other sections
  bool header = false;
  bool skipped = false;    // inside a conditional block haproxy skips
  bool directive = false;  // .if / .elif / .else / .endif, evaluated by the harness

  [[nodiscard]] std::string_view word(std::size_t i) const { return word_at(words, i); }
  [[nodiscard]] std::string_view keyword() const { return word(0); }
};

std::vector<ParsedLine> parse_lines(const UserConfig& config) {
  const auto& lines = config.lines;
  std::vector<ParsedLine> parsed;
  parsed.reserve(lines.size());
  Section section = Section::kNone;
  std::string name;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ParsedLine line;
    line.number = static_cast<int>(i) + 1;
    line.text = lines[i];
    if (config.conditions.evaluated && i < config.conditions.active.size() &&
        !config.conditions.active[i]) {
      line.directive = config.conditions.directive[i];
      line.skipped = !line.directive;
      line.section = section;
      line.section_name = name;
      parsed.push_back(std::move(line));  // no words: neither scanned nor rewritten
      continue;
    }
    line.words = split_words(line.text);
    if (const auto opened = section_keyword(line.keyword())) {
      section = *opened;
      name = std::string(section == Section::kOther ? line.keyword() : line.word(1));
      if (section == Section::kDefaults && name == "from") name.clear();
      line.header = true;
    }
    line.section = section;
    line.section_name = name;
    parsed.push_back(std::move(line));
  }
  return parsed;
}

// `frontend www from base` / `defaults base from other` -> "base" / "other".
std::optional<std::string> from_defaults(const ParsedLine& header) {
  for (std::size_t i = 1; i + 1 < header.words.size(); ++i) {
    if (header.word(i) == "from") return std::string(header.word(i + 1));
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// bind / server / default-server options the harness cannot honour.

enum class DropReason { kTls, kProxyProtocol, kCheckAddress, kLocalBinding, kDns, kAgent, kSocks };

struct OptionRule {
  std::string_view name;
  int arguments;
  std::optional<DropReason> drop;  // nullopt: kept (listed to skip its argument)
};

OptionRule tls(std::string_view name, int arguments) { return {name, arguments, DropReason::kTls}; }

// A kept option with one argument, listed so that its argument is not taken for an option
// ("cookie ssl" names a cookie).
OptionRule keep(std::string_view name) { return {name, 1, std::nullopt}; }

// TLS options valid on both bind and server lines.
std::vector<OptionRule> common_tls_rules() {
  std::vector<OptionRule> rules = {tls("ssl", 0), tls("allow-0rtt", 0), tls("no-tls-tickets", 0)};
  for (const auto name : {"no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13",
                          "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12",
                          "force-tlsv13"}) {
    rules.push_back(tls(name, 0));
  }
  for (const auto name : {"ssl-min-ver", "ssl-max-ver", "ciphers", "ciphersuites", "curves",
                          "sigalgs", "client-sigalgs", "alpn", "npn", "ca-file", "crl-file", "crt",
                          "verify"}) {
    rules.push_back(tls(name, 1));
  }
  return rules;
}

const std::vector<OptionRule>& bind_rules() {
  static const std::vector<OptionRule> rules = [] {
    std::vector<OptionRule> r = common_tls_rules();
    for (const auto name : {"strict-sni", "no-ca-names", "prefer-client-ciphers",
                            "generate-certificates"}) {
      r.push_back(tls(name, 0));
    }
    for (const auto name : {"crt-list", "ca-verify-file", "ca-ignore-err", "crt-ignore-err",
                            "ecdhe", "tls-ticket-keys", "ca-sign-file", "ca-sign-pass"}) {
      r.push_back(tls(name, 1));
    }
    r.push_back({"accept-proxy", 0, DropReason::kProxyProtocol});
    r.push_back({"accept-netscaler-cip", 1, DropReason::kProxyProtocol});
    r.push_back({"interface", 1, DropReason::kLocalBinding});
    r.push_back({"namespace", 1, DropReason::kLocalBinding});
    r.push_back({"transparent", 0, DropReason::kLocalBinding});
    for (const auto name : {"name", "id", "maxconn", "backlog", "process", "thread", "nice",
                            "tcp-ut", "mss", "level", "severity-output", "mode", "uid", "gid",
                            "user", "group", "proto", "expose-fd"}) {
      r.push_back(keep(name));
    }
    return r;
  }();
  return rules;
}

// Also applied to default-server lines.
const std::vector<OptionRule>& server_rules() {
  static const std::vector<OptionRule> rules = [] {
    std::vector<OptionRule> r = common_tls_rules();
    for (const auto name : {"check-ssl", "ssl-reuse", "no-ssl-reuse", "tls-tickets"}) {
      r.push_back(tls(name, 0));
    }
    for (const auto name : {"verifyhost", "sni", "check-sni", "check-alpn"}) {
      r.push_back(tls(name, 1));
    }
    for (const auto name : {"send-proxy", "send-proxy-v2", "send-proxy-v2-ssl",
                            "send-proxy-v2-ssl-cn", "check-send-proxy"}) {
      r.push_back({name, 0, DropReason::kProxyProtocol});
    }
    r.push_back({"proxy-v2-options", 1, DropReason::kProxyProtocol});
    r.push_back({"addr", 1, DropReason::kCheckAddress});
    r.push_back({"port", 1, DropReason::kCheckAddress});
    r.push_back({"namespace", 1, DropReason::kLocalBinding});
    r.push_back({"source", 1, DropReason::kLocalBinding});
    r.push_back({"usesrc", 1, DropReason::kLocalBinding});
    r.push_back({"interface", 1, DropReason::kLocalBinding});
    for (const auto name : {"init-addr", "resolvers", "resolve-prefer", "resolve-net",
                            "resolve-opts"}) {
      r.push_back({name, 1, DropReason::kDns});
    }
    r.push_back({"agent-check", 0, DropReason::kAgent});
    for (const auto name : {"agent-port", "agent-inter", "agent-addr", "agent-send"}) {
      r.push_back({name, 1, DropReason::kAgent});
    }
    r.push_back({"socks4", 1, DropReason::kSocks});
    for (const auto name :
         {"cookie", "inter", "fastinter", "downinter", "fall", "rise", "weight", "maxconn",
          "maxqueue", "minconn", "id", "track", "slowstart", "on-error", "on-marked-down",
          "on-marked-up", "error-limit", "observe", "redir", "pool-max-conn",
          "pool-purge-delay", "pool-low-conn", "max-reuse", "proto", "tcp-ut", "ws", "log-proto",
          "hash-key"}) {
      r.push_back(keep(name));
    }
    return r;
  }();
  return rules;
}

std::string_view reason_text(DropReason reason) {
  switch (reason) {
    case DropReason::kTls: return "the harness speaks plain HTTP";
    case DropReason::kProxyProtocol: return "the harness does not use the PROXY protocol";
    case DropReason::kCheckAddress: return "health checks go to the harness node's own address";
    case DropReason::kLocalBinding: return "the harness binds on loopback";
    case DropReason::kDns:
      return "the server's address is the harness node's, so nothing is resolved through DNS";
    case DropReason::kAgent: return "an agent check would reach an address outside the harness";
    case DropReason::kSocks: return "a SOCKS proxy would be outside loopback";
  }
  return "";
}

struct DroppedOption {
  std::size_t first = 0;  // word indexes, inclusive
  std::size_t last = 0;
  DropReason reason = DropReason::kTls;
};

// Options in words[first_option..] to drop, each with its arguments.
std::vector<DroppedOption> dropped_options(const std::vector<Word>& words,
                                           std::size_t first_option,
                                           const std::vector<OptionRule>& rules) {
  std::vector<DroppedOption> dropped;
  for (std::size_t i = first_option; i < words.size(); ++i) {
    const auto rule = std::find_if(rules.begin(), rules.end(),
                                   [&](const OptionRule& r) { return r.name == words[i].value; });
    if (rule == rules.end()) continue;
    const std::size_t last = std::min(i + static_cast<std::size_t>(rule->arguments),
                                      words.size() - 1);
    if (rule->drop) dropped.push_back({i, last, *rule->drop});
    i = last;
  }
  return dropped;
}

enum class OptionLine { kBind, kServer, kServerTemplate, kDefaultServer, kCheckConnect };

// `http-check connect` / `tcp-check connect`: a check may connect elsewhere than the server.
const std::vector<OptionRule>& check_connect_rules() {
  static const std::vector<OptionRule> rules = {
      {"addr", 1, DropReason::kCheckAddress}, {"port", 1, DropReason::kCheckAddress},
      tls("ssl", 0),                          tls("sni", 1),
      tls("alpn", 1),                         {"send-proxy", 0, DropReason::kProxyProtocol},
      {"via-socks4", 0, DropReason::kSocks},  keep("comment"),
      keep("default"),                        keep("proto")};
  return rules;
}


std::optional<OptionLine> option_line_kind(const ParsedLine& line) {
  if (line.header) return std::nullopt;
  const auto keyword = line.keyword();
  if (keyword == "bind" && has_binds(line.section)) return OptionLine::kBind;
  if (keyword == "server" && has_servers(line.section) && line.words.size() >= 2) {
    return OptionLine::kServer;
  }
  if (keyword == "server-template" && has_servers(line.section) && line.words.size() >= 4) {
    return OptionLine::kServerTemplate;
  }
  if (keyword == "default-server" &&
      (has_servers(line.section) || line.section == Section::kDefaults)) {
    return OptionLine::kDefaultServer;
  }
  return std::nullopt;
}

std::optional<OptionLine> check_connect_line(const ParsedLine& line) {
  if (line.header || line.section == Section::kGlobal || line.section == Section::kOther) {
    return std::nullopt;
  }
  if ((line.keyword() == "http-check" || line.keyword() == "tcp-check") &&
      line.word(1) == "connect") {
    return OptionLine::kCheckConnect;
  }
  return std::nullopt;
}

std::vector<DroppedOption> dropped_options(const ParsedLine& line, OptionLine kind) {
  switch (kind) {
    case OptionLine::kBind: return dropped_options(line.words, 2, bind_rules());
    case OptionLine::kServer: return dropped_options(line.words, 3, server_rules());
    case OptionLine::kServerTemplate: return dropped_options(line.words, 4, server_rules());
    case OptionLine::kDefaultServer: return dropped_options(line.words, 1, server_rules());
    case OptionLine::kCheckConnect: return dropped_options(line.words, 2, check_connect_rules());
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Lines the rewrite comments out (the same decision in scan, for warnings, and in rewrite).
//
// The rule that keeps a user's config on loopback is an allow-list: bind and server lines are
// rewritten to the harness's addresses; every directive that makes haproxy talk to an address
// of its own (peers, nameservers, mailers, ring servers, log targets, log forwarding, source
// addresses, dispatch, programs) is commented out; and any other line that still names a
// network address outside loopback, after `${VAR}` expansion, is commented out as well.

struct Disabled {
  std::string why;
  bool warn = true;  // false for what every user config loses (daemon, its own log targets...)
};

constexpr std::string_view kOffLoopbackWhy = "lbchaos keeps haproxy on loopback";

bool removed_from_global(const ParsedLine& line) {
  const auto keyword = line.keyword();
  if (keyword == "stats") return line.word(1) == "socket";
  for (const std::string_view removed :
       {"daemon", "chroot", "user", "group", "uid", "gid", "pidfile", "nbproc", "master-worker",
        "log", "log-tag", "unix-bind", "log-send-hostname"}) {
    if (keyword == removed) return true;
  }
  return false;
}

// In defaults and proxies: log targets other than `log global`, `no log`, and what would stop
// the harness from seeing health checks as they happen or which server served each request
// (`log-format-sd`: the harness's own replaces it; `option dontlog-normal`).
bool removed_from_proxy(const ParsedLine& line) {
  const auto keyword = line.keyword();
  if (keyword == "log") return line.word(1) != "global";
  if (keyword == "log-format-sd") return true;
  if (keyword == "no") {
    return line.word(1) == "log" ||
           (line.word(1) == "option" && line.word(2) == "log-health-checks");
  }
  return keyword == "option" &&
         (line.word(1) == "ssl-hello-chk" || line.word(1) == "dontlog-normal");
}

bool is_environment_keyword(std::string_view keyword) {
  return keyword == "setenv" || keyword == "presetenv" || keyword == "resetenv" ||
         keyword == "unsetenv";
}

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || is_loopback_address(host);
}

// Datagram listeners (QUIC, UDP, Unix datagram): the harness drives HTTP/1.1 over TCP.
bool is_datagram_address(std::string_view address) {
  for (const std::string_view prefix : {"quic4@", "quic6@", "udp@", "udp4@", "udp6@", "uxdg@"}) {
    if (address.starts_with(prefix)) return true;
  }
  return false;
}

// The network address `word` names when it is outside loopback: "udp@10.0.0.1:514",
// "ipv4@*:80", or (when `bare` is set) a plain "10.0.0.1:53" / "[2001:db8::1]:53" /
// "dns.example.com:53". Unix, abstract and file-descriptor addresses are local.
std::optional<std::string> off_loopback_address(std::string_view word, bool bare) {
  std::string_view rest = word;
  bool network = false;
  if (const auto at = word.find('@'); at != std::string_view::npos && at > 0) {
    const auto prefix = word.substr(0, at);
    for (const std::string_view family : {"ipv4", "ipv6", "udp", "udp4", "udp6", "tcp", "tcp4",
                                          "tcp6", "quic4", "quic6"}) {
      if (prefix == family) network = true;
    }
    if (!network) return std::nullopt;  // unix@, abns@, fd@, sockpair@, uxst@, uxdg@, e-mail
    rest = word.substr(at + 1);
  }
  static const std::regex host_port(
      R"(^(\[[0-9A-Fa-f:.]+\]|[0-9]{1,3}(\.[0-9]{1,3}){3}|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+|\*|)"
      R"([A-Za-z0-9_-]+)?:[0-9]{1,5}(-[0-9]{1,5})?$)");
  static const std::regex bare_ip(R"(^[0-9]{1,3}(\.[0-9]{1,3}){3}$)");
  const std::string text(rest);
  if (!network && !bare) return std::nullopt;
  if (std::regex_match(text, host_port)) {
    const auto colon = text.rfind(':');
    const std::string_view host = std::string_view(text).substr(0, colon);
    if (!host.empty() && host != "*" && is_loopback_host(host)) return std::nullopt;
    return std::string(word);
  }
  if (std::regex_match(text, bare_ip) || network) {
    if (is_loopback_host(text)) return std::nullopt;
    return std::string(word);
  }
  return std::nullopt;
}

// haproxy's environment expansion of one word: "${NAME}", "${NAME-default}", "$NAME".
std::string expand_environment(std::string_view word,
                               const std::map<std::string, std::string>& env) {
  std::string out;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (word[i] != '$' || i + 1 >= word.size()) {
      out += word[i];
      continue;
    }
    std::string name;
    std::optional<std::string> fallback;
    if (word[i + 1] == '{') {
      const auto close = word.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += word.substr(i);
        break;
      }
      name = std::string(word.substr(i + 2, close - i - 2));
      if (const auto dash = name.find('-'); dash != std::string::npos) {
        fallback = name.substr(dash + 1);
        name.resize(dash);
      }
      if (name.ends_with("[*]")) name.resize(name.size() - 3);
      i = close;
    } else {
      std::size_t end = i + 1;
      while (end < word.size() && (std::isalnum(static_cast<unsigned char>(word[end])) != 0 ||
                                   word[end] == '_')) {
        ++end;
      }
      if (end == i + 1) {
        out += '$';
        continue;
      }
      name = std::string(word.substr(i + 1, end - i - 1));
      i = end - 1;
    }
    const auto it = env.find(name);
    if (it != env.end()) out += it->second;
    else if (fallback) out += *fallback;
  }
  return out;
}

// The first word of `line` from `first` on that names an address outside loopback.
std::optional<std::string> named_off_loopback(const ParsedLine& line, std::size_t first, bool bare,
                                              const std::map<std::string, std::string>& env) {
  for (std::size_t i = first; i < line.words.size(); ++i) {
    const std::string expanded = expand_environment(line.words[i].value, env);
    std::istringstream parts(expanded);  // an unquoted variable may expand to several words
    for (std::string part; parts >> part;) {
      if (auto address = off_loopback_address(part, bare)) return address;
    }
  }
  return std::nullopt;
}

Disabled off_loopback(std::string_view what) {
  return {fmt::format("{}: {}", what, kOffLoopbackWhy)};
}

std::optional<Disabled> disabled_in_other_section(const ParsedLine& line) {
  const auto section = std::string_view(line.section_name);
  const auto keyword = line.keyword();
  const auto any_of = [&](std::initializer_list<std::string_view> keywords) {
    return std::find(keywords.begin(), keywords.end(), keyword) != keywords.end();
  };
  if (section == "program") {
    return Disabled{"lbchaos does not start the programs of your config"};
  }
  if (section == "peers" &&
      any_of({"peer", "server", "bind", "default-bind", "default-server", "log"})) {
    return off_loopback("peers would connect to the addresses in your file (lbchaos gives "
                        "haproxy a local peer on a Unix socket instead)");
  }
  if (section == "resolvers" && any_of({"nameserver", "parse-resolv-conf"})) {
    return off_loopback("DNS queries would leave this machine (servers point at the harness's "
                        "nodes, nothing needs resolving)");
  }
  if (section == "mailers" && keyword == "mailer") {
    return off_loopback("email alerts would leave this machine");
  }
  if (section == "ring" && keyword == "server") {
    return off_loopback("ring servers would receive logs outside the harness");
  }
  if (section == "log-forward" && any_of({"bind", "dgram-bind", "log"})) {
    return off_loopback("log forwarding would listen and send outside the harness");
  }
  return std::nullopt;
}

std::optional<Disabled> disabled_line(const ParsedLine& line,
                                      const std::map<std::string, std::string>& env) {
  if (line.section == Section::kOther && line.section_name == "program") {
    return disabled_in_other_section(line);  // the header too
  }
  if (line.header || line.words.empty()) return std::nullopt;
  const auto keyword = line.keyword();
  if (line.section == Section::kGlobal) {
    if (removed_from_global(line)) return Disabled{"", false};
    if (keyword == "quiet") {
      return Disabled{"haproxy's own messages must reach you (lbchaos check shows them)"};
    }
    if (keyword == "zero-warning") {
      return Disabled{"the harness's changes (a resolvers section without nameservers...) "
                      "may add warnings"};
    }
    if (keyword == "localpeer") return Disabled{"lbchaos names haproxy's local peer"};
    if (is_environment_keyword(keyword)) {
      // The value is only text, but a copy that names no address off loopback is easier to
      // trust; the lines that would use it (log targets, peers...) are disabled anyway.
      if (keyword != "unsetenv" && keyword != "resetenv") {
        if (auto address = named_off_loopback(line, 2, true, env)) {
          return off_loopback(fmt::format("names {}", *address));
        }
      }
      return std::nullopt;
    }
    if (auto address = named_off_loopback(line, 1, true, env)) {
      return off_loopback(fmt::format("names {}", *address));
    }
    return std::nullopt;
  }
  if (line.section == Section::kOther) {
    if (auto disabled = disabled_in_other_section(line)) return disabled;
    if (auto address = named_off_loopback(line, 1, true, env)) {
      return off_loopback(fmt::format("names {}", *address));
    }
    return std::nullopt;
  }
  if (line.section == Section::kDefaults || is_proxy(line.section)) {
    if (removed_from_proxy(line)) {
      const bool request_logs = keyword == "log-format-sd" || line.word(1) == "dontlog-normal";
      if (keyword == "log" || (keyword == "no" && line.word(1) == "log")) {
        return Disabled{"", false};
      }
      return Disabled{std::string(
          request_logs ? "the harness reads which server served each request from haproxy's log"
          : keyword == "option" ? "the harness nodes speak plain HTTP"
                                : "the harness needs every proxy's logs and health checks")};
    }
    if (keyword == "bind" && has_binds(line.section) && is_datagram_address(line.word(1))) {
      return Disabled{"the harness drives HTTP/1.1 over TCP: QUIC and UDP listeners are not "
                      "started"};
    }
    if (keyword == "source" || keyword == "dispatch") {
      return off_loopback(fmt::format("'{}' names an address of your network", keyword));
    }
    if (keyword == "option" && line.word(1) == "transparent") {
      return off_loopback("transparent proxying connects to the client's destination");
    }
    const bool rewritten = keyword == "bind" || keyword == "server" ||
                           keyword == "server-template" || keyword == "default-server";
    if (!rewritten) {
      if (auto address = named_off_loopback(line, 1, false, env)) {
        return off_loopback(fmt::format("names {}", *address));
      }
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Scan.

// What a defaults or backend section says about its health checks.
struct CheckState {
  bool http = false;
  std::string uri = "/";
  std::optional<std::string> send_uri;
  HealthExpectation expects;
  std::string script_section;  // the section whose tcp-check / http-check rules these are
  std::optional<std::string> pending_send;

  [[nodiscard]] std::optional<std::string> path() const {
    if (!http) return std::nullopt;
    return send_uri ? *send_uri : uri;
  }
};

std::string hex_decode(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// The literal text a simple regex matches ("^pong$" -> "pong"), or nullopt.
std::optional<std::string> regex_literal(std::string_view regex) {
  if (regex.starts_with('^')) regex.remove_prefix(1);
  if (regex.ends_with('$')) regex.remove_suffix(1);
  std::string out;
  for (std::size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\' && i + 1 < regex.size() &&
        std::string_view(".+*?()[]{}|^$\\/").find(regex[i + 1]) != std::string_view::npos) {
      out += regex[++i];
    } else if (std::string_view(".+*?()[]{}|^$\\").find(c) != std::string_view::npos) {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  return out;
}

void set_check_kind(CheckState& state, std::string kind,
                    const std::string& where) {
  state.expects = HealthExpectation{};
  state.expects.kind = std::move(kind);
  state.expects.described_at = where;
  state.script_section.clear();
}

// `http-check expect ...` / `tcp-check send|expect ...`: rules of the current section replace
// those inherited from defaults.
void own_rules(CheckState& state, const ParsedLine& line) {
  const std::string section = fmt::format("{}:{}", static_cast<int>(line.section), line.section_name);
  if (state.script_section == section) return;
  state.script_section = section;
  state.expects.tcp_script.clear();
  state.expects.http_status.reset();
  state.expects.http_body.reset();
  state.expects.needs_description = false;
  state.pending_send.reset();
}

void apply_check_line(const ParsedLine& line, CheckState& state, const std::string& where) {
  const auto keyword = line.keyword();
  if (keyword == "option" && line.word(1) == "httpchk") {
    state.http = true;
    set_check_kind(state, "http", where);
    const auto arguments = line.words.size() - 2;
    state.uri = arguments == 0 ? "/" : std::string(line.word(arguments == 1 ? 2 : 3));
    return;
  }
  if (keyword == "no" && line.word(1) == "option" && line.word(2) == "httpchk") {
    state.http = false;
    set_check_kind(state, "tcp", where);
    return;
  }
  if (keyword == "option") {
    // Another check type replaces HTTP checks (ssl-hello-chk is commented out by the rewrite).
    static const std::map<std::string_view, std::string_view> kinds = {
        {"tcp-check", "tcp"},     {"smtpchk", "smtp"},       {"mysql-check", "mysql"},
        {"pgsql-check", "pgsql"}, {"redis-check", "redis"},  {"ldap-check", "ldap"},
        {"spop-check", "spop"},   {"external-check", "external"}};
    if (const auto it = kinds.find(line.word(1)); it != kinds.end()) {
      state.http = false;
      set_check_kind(state, std::string(it->second), where);
    }
    return;
  }
  if (keyword == "http-check" && line.word(1) == "send") {
    for (std::size_t i = 2; i + 1 < line.words.size(); ++i) {
      if (line.word(i) == "uri") state.send_uri = std::string(line.word(i + 1));
    }
    return;
  }
  if (keyword == "http-check" && line.word(1) == "expect") {
    own_rules(state, line);
    std::size_t i = 2;
    for (; i < line.words.size() && line.word(i) != "!" ; ++i) {
      const auto w = line.word(i);
      if (w == "status" || w == "string" || w == "rstatus" || w == "rstring") break;
      if (w == "min-recv" || w == "comment" || w == "ok-status" || w == "error-status" ||
          w == "tout-status" || w == "on-success" || w == "on-error" || w == "status-code") {
        ++i;
      }
    }
    if (!state.expects.http_status && !state.expects.http_body &&
        !state.expects.needs_description) {
      state.expects.described_at = where;
    }
    if (line.word(i) == "!") return;  // a negation: the default answer does not contain it
    const auto matcher = line.word(i);
    const auto pattern = std::string(line.word(i + 1));
    if (matcher == "status") {
      try {
        state.expects.http_status = std::stoi(pattern);
      } catch (const std::exception&) {
        state.expects.needs_description = true;
      }
    } else if (matcher == "string") {
      state.expects.http_body = pattern;
    } else if (matcher == "rstring") {
      if (auto literal = regex_literal(pattern)) state.expects.http_body = *literal;
      else state.expects.needs_description = true;
    } else if (matcher == "rstatus") {
      if (auto literal = regex_literal(pattern); literal && literal->size() == 3) {
        state.expects.http_status = std::stoi(*literal);
      } else {
        state.expects.needs_description = true;
      }
    }
    return;
  }
  if (keyword == "tcp-check" && (line.word(1) == "send" || line.word(1) == "send-binary")) {
    own_rules(state, line);
    const bool binary = line.word(1) == "send-binary";
    const auto data = std::string(line.word(2));
    state.pending_send = state.pending_send.value_or("") + (binary ? hex_decode(data) : data);
    return;
  }
  if (keyword == "tcp-check" && line.word(1) == "expect") {
    own_rules(state, line);
    if (state.expects.tcp_script.empty() && !state.expects.needs_description) {
      state.expects.described_at = where;  // the first expectation says the most
    }
    std::size_t i = 2;
    while (i < line.words.size() &&
           (line.word(i) == "min-recv" || line.word(i) == "comment" ||
            line.word(i) == "ok-status" || line.word(i) == "error-status" ||
            line.word(i) == "tout-status" || line.word(i) == "on-success" ||
            line.word(i) == "on-error" || line.word(i) == "status-code")) {
      i += 2;
    }
    if (line.word(i) == "!") return;
    const auto matcher = line.word(i);
    const auto pattern = std::string(line.word(i + 1));
    std::optional<std::string> answer;
    if (matcher == "string") answer = pattern;
    else if (matcher == "binary") answer = hex_decode(pattern);
    else if (matcher == "rstring") answer = regex_literal(pattern);
    else if (matcher == "rbinary") {
      if (auto literal = regex_literal(pattern)) answer = hex_decode(*literal);
    }
    if (!answer) {
      state.expects.needs_description = true;
      return;
    }
    state.expects.tcp_script.emplace_back(state.pending_send.value_or(""), *answer);
    state.pending_send.reset();
  }
}

// `mode http` / `mode tcp`; haproxy's default is TCP.
void apply_mode_line(const ParsedLine& line, bool& http) {
  if (line.keyword() == "mode" && line.words.size() >= 2) http = line.word(1) == "http";
}

// Follows a setting through defaults sections: a proxy starts from the last defaults section
// above it, or from the one it names with `from`; a defaults section starts afresh. Keeps the
// state of every proxy section `tracked` accepts, in the order of their headers.
template <typename State>
class InheritedSetting {
 public:
  using Apply = std::function<void(const ParsedLine&, State&)>;

  InheritedSetting(bool (*tracked)(Section), Apply apply_line)
      : tracked_(tracked), apply_(apply_line) {}

  void open(const ParsedLine& header) {
    current_ = nullptr;
    const auto from = from_defaults(header);
    const auto inherited = [&]() -> State {
      if (!from) return last_defaults_;
      const auto it = named_defaults_.find(*from);
      return it == named_defaults_.end() ? State{} : it->second;
    };
    if (header.section == Section::kDefaults) {
      last_defaults_ = from ? inherited() : State{};
      current_ = &last_defaults_;
      defaults_name_ = header.section_name;
      save_named_defaults();
    } else if (tracked_(header.section)) {
      proxies_.push_back(inherited());
      current_ = &proxies_.back();
      defaults_name_.clear();
    }
  }

  void apply(const ParsedLine& line) {
    if (current_ == nullptr) return;
    apply_(line, *current_);
    save_named_defaults();
  }

  [[nodiscard]] const std::deque<State>& proxies() const { return proxies_; }

 private:
  void save_named_defaults() {
    if (current_ == &last_defaults_ && !defaults_name_.empty()) {
      named_defaults_[defaults_name_] = last_defaults_;
    }
  }

  bool (*tracked_)(Section);
  Apply apply_;
  std::map<std::string, State> named_defaults_;
  State last_defaults_{};
  std::string defaults_name_;
  std::deque<State> proxies_;  // a deque: current_ points into it
  State* current_ = nullptr;
};

std::string location(const UserConfig& config, int line) {
  return fmt::format("{}:{}", config.file.string(), line);
}

std::string words_text(const ParsedLine& line, std::size_t first, std::size_t last) {
  return std::string(line.text.substr(line.words[first].begin,
                                      line.words[last].end - line.words[first].begin));
}

void warn_dropped_options(UserConfig& config, const ParsedLine& line, OptionLine kind) {
  const std::string section =
      line.section_name.empty()
          ? std::string(section_word(line.section))
          : fmt::format("{} '{}'", section_word(line.section), line.section_name);
  const std::string what =
      kind == OptionLine::kBind     ? fmt::format("bind of {}", section)
      : kind == OptionLine::kServer ? fmt::format("server '{}/{}'", line.section_name, line.word(1))
      : kind == OptionLine::kServerTemplate
          ? fmt::format("server-template '{}/{}'", line.section_name, line.word(1))
      : kind == OptionLine::kCheckConnect ? fmt::format("{} of {}", line.keyword(), section)
                                          : fmt::format("default-server of {}", section);
  // One warning per reason: "...: bind of frontend 'www': 'ssl', 'crt x.pem' dropped: why".
  std::map<DropReason, std::vector<std::string>> by_reason;
  for (const auto& dropped : dropped_options(line, kind)) {
    by_reason[dropped.reason].push_back(
        fmt::format("'{}'", words_text(line, dropped.first, dropped.last)));
  }
  for (const auto& [reason, options] : by_reason) {
    config.warnings.push_back(fmt::format("{}: {}: {} dropped: {}", location(config, line.number),
                                          what, fmt::join(options, ", "), reason_text(reason)));
  }
}

bool has_word(const ParsedLine& line, std::size_t first, std::string_view word) {
  for (std::size_t i = first; i < line.words.size(); ++i) {
    if (line.word(i) == word) return true;
  }
  return false;
}

void warn_disabled_line(UserConfig& config, const ParsedLine& line, const Disabled& disabled) {
  if (!disabled.warn) return;
  config.warnings.push_back(fmt::format("{}: '{}' commented out: {}", location(config, line.number),
                                        trimmed(line.text), disabled.why));
}

// The servers a `server-template <prefix> <num | first-last> <address> ...` line stands for.
std::vector<std::string> template_server_names(const ParsedLine& line, const UserConfig& config) {
  const auto prefix = std::string(line.word(1));
  const auto range = std::string(line.word(2));
  int first = 1;
  int last = 0;
  try {
    const auto dash = range.find('-');
    if (dash == std::string::npos) {
      last = std::stoi(range);
    } else {
      first = std::stoi(range.substr(0, dash));
      last = std::stoi(range.substr(dash + 1));
    }
  } catch (const std::exception&) {
    throw InputError(SourcePosition{config.file.string(), line.number,
                                    static_cast<int>(line.words[2].begin) + 1},
                     fmt::format("server-template: '{}' is not a number of servers or a range "
                                 "like 1-5",
                                 range));
  }
  constexpr int kMaxTemplateServers = 1000;
  if (first < 0 || last < first || last - first >= kMaxTemplateServers) {
    throw InputError(SourcePosition{config.file.string(), line.number,
                                    static_cast<int>(line.words[2].begin) + 1},
                     fmt::format("server-template: '{}' must be a count or a range of at most "
                                 "{} servers",
                                 range, kMaxTemplateServers));
  }
  std::vector<std::string> names;
  for (int i = first; i <= last; ++i) names.push_back(fmt::format("{}{}", prefix, i));
  return names;
}

// haproxy time: "20s", "500ms", "1m", "2h", "1d", a bare number of milliseconds.
std::optional<std::chrono::milliseconds> haproxy_time(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
    ++digits;
  }
  if (digits == 0 || digits > 9) return std::nullopt;
  const long long value = std::stoll(std::string(text.substr(0, digits)));
  const auto unit = text.substr(digits);
  if (unit.empty() || unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "us") return std::chrono::milliseconds(value / 1000);
  if (unit == "s") return std::chrono::seconds(value);
  if (unit == "m") return std::chrono::minutes(value);
  if (unit == "h") return std::chrono::hours(value);
  if (unit == "d") return std::chrono::hours(24 * value);
  return std::nullopt;
}

// The longest check interval (and check/connect timeout) a server line or default-server
// line names; readiness waits for every server's first check.
void note_check_timing(UserConfig& config, const ParsedLine& line, std::size_t first_option) {
  for (std::size_t i = first_option; i + 1 < line.words.size(); ++i) {
    const auto w = line.word(i);
    if (w != "inter" && w != "fastinter" && w != "downinter") continue;
    const auto time = haproxy_time(line.word(i + 1));
    if (!time) continue;
    if (!config.slowest_check || *time > config.slowest_check->first) {
      config.slowest_check = std::pair{
          *time, fmt::format("'{} {}' at {}", w, line.word(i + 1), location(config, line.number))};
    }
  }
}

// Paths that do not exist on this machine: say which key points them elsewhere.
void warn_missing_files(UserConfig& config, const ParsedLine& line) {
  const auto keyword = line.keyword();
  std::optional<std::string> path;
  if (keyword == "errorfile") path = std::string(line.word(2));
  else if (keyword == "lua-load" || keyword == "lua-load-per-thread") {
    path = std::string(line.word(1));
  }
  if (!path || path->empty() || path->front() != '/' || path->find('$') != std::string::npos) {
    return;
  }
  std::string mapped = *path;
  for (const auto& [prefix, local] : config.files) {
    if (mapped.starts_with(prefix)) {
      mapped = local.string() + mapped.substr(prefix.size());
      break;
    }
  }
  std::error_code error;
  if (std::filesystem::exists(mapped, error)) return;
  const auto folder = std::filesystem::path(*path).parent_path().string();
  config.warnings.push_back(fmt::format(
      "{}: {} {} does not exist on this machine: map its folder to a local one with [haproxy] "
      "files = {{ \"{}\" = \"<local folder>\" }} in the topology",
      location(config, line.number), keyword, mapped, folder));
}

std::map<std::string, std::string> initial_environment(const ScanSettings& settings) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, equals)), std::string(entry.substr(equals + 1)));
  }
  for (const auto& [name, value] : settings.env) env[name] = value;
  return env;
}

void apply_environment_line(const ParsedLine& line, std::map<std::string, std::string>& env) {
  const auto keyword = line.keyword();
  const auto name = std::string(line.word(1));
  if (keyword == "setenv") env[name] = std::string(line.word(2));
  else if (keyword == "presetenv") env.emplace(name, std::string(line.word(2)));
  else if (keyword == "unsetenv") {
    for (std::size_t i = 1; i < line.words.size(); ++i) env.erase(std::string(line.word(i)));
  } else if (keyword == "resetenv") {
    std::map<std::string, std::string> kept;
    for (std::size_t i = 1; i < line.words.size(); ++i) {
      const auto it = env.find(std::string(line.word(i)));
      if (it != env.end()) kept.insert(*it);
    }
    env = std::move(kept);
  }
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    begin = end + 1;
  }
  return lines;
}

std::string read_file(const std::filesystem::path& file) {
  const auto fail = [&](int error) {
    return InputError(
        fmt::format("cannot read haproxy config {}: {}", file.string(), std::strerror(error)));
  };
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                           &std::fclose);
  if (!in) throw fail(errno);
  std::string text;
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, in.get())) > 0) text.append(buffer, n);
  if (std::ferror(in.get())) throw fail(errno);
  return text;
}

}  // namespace

const UserBackend* UserConfig::find_backend(std::string_view name) const {
  const auto it = std::find_if(backends.begin(), backends.end(),
                               [&](const UserBackend& b) { return b.name == name; });
  return it == backends.end() ? nullptr : &*it;
}

UserConfig scan_user_config(const std::filesystem::path& file, const ScanSettings& settings) {
  return scan_user_config_text(read_file(file), file, settings);
}

UserConfig scan_user_config_text(std::string text, const std::filesystem::path& file,
                                 const ScanSettings& settings) {
  UserConfig config;
  config.file = file;
  config.text = std::move(text);
  config.lines = split_lines(config.text);
  config.files = settings.files;
  if (!config.text.empty() && config.text.back() != '\n') {
    throw InputError(
        SourcePosition{file.string(), static_cast<int>(config.lines.size()), 0},
        "the last line has no newline: haproxy rejects the file as truncated");
  }
  config.conditions = evaluate_conditions(config.lines, settings.haproxy_binary, settings.env);
  config.environment = initial_environment(settings);

  std::map<std::string, int> binds_per_section;
  InheritedSetting<CheckState> checks(has_servers, [&config](const ParsedLine& line,
                                                             CheckState& state) {
    apply_check_line(line, state,
                     fmt::format("'{}' at {}", trimmed(line.text), location(config, line.number)));
  });
  InheritedSetting<bool> http_mode(has_binds, apply_mode_line);
  const auto parsed = parse_lines(config);
  for (const ParsedLine& line : parsed) {
    if (line.section == Section::kGlobal && is_environment_keyword(line.keyword())) {
      apply_environment_line(line, config.environment);
    }
  }
  for (const ParsedLine& line : parsed) {
    if (const auto disabled = disabled_line(line, config.environment); disabled && line.header) {
      warn_disabled_line(config, line, *disabled);
      continue;
    }
    if (line.header) {
      checks.open(line);
      http_mode.open(line);
      if (has_servers(line.section)) {
        config.backends.push_back(
            {line.section_name, line.number, line.section == Section::kListen, std::nullopt, {}});
      }
      if (has_binds(line.section)) {
        config.frontends.push_back(
            {line.section_name, line.number, line.section == Section::kListen, false});
      } else if (line.section == Section::kOther) {
        if (line.keyword() == "peers") ++config.peers_sections;
        if (line.keyword() == "resolvers" && line.word(1) == "default") {
          config.has_default_resolvers = true;
        }
      }
      continue;
    }
    if (line.words.empty()) continue;

    if (const auto disabled = disabled_line(line, config.environment)) {
      warn_disabled_line(config, line, *disabled);
      continue;
    }
    if (line.keyword() == "lua-load" || line.keyword() == "lua-load-per-thread") {
      config.loads_lua = true;
    }
    warn_missing_files(config, line);
    if (const auto kind = option_line_kind(line)) {
      if (*kind == OptionLine::kBind) {
        const int nth = ++binds_per_section[line.section_name];
        config.binds.push_back({line.section_name, line.number,
                                nth == 1 ? line.section_name
                                         : fmt::format("{}#{}", line.section_name, nth),
                                std::string(line.word(1))});
      } else if (*kind == OptionLine::kServer) {
        config.servers.push_back({line.section_name, std::string(line.word(1)), line.number,
                                  std::string(line.word(2)), false, has_word(line, 3, "disabled")});
        note_check_timing(config, line, 3);
      } else if (*kind == OptionLine::kServerTemplate) {
        for (auto& name : template_server_names(line, config)) {
          config.servers.push_back({line.section_name, std::move(name), line.number,
                                    std::string(line.word(3)), true,
                                    has_word(line, 4, "disabled")});
        }
        note_check_timing(config, line, 4);
      } else if (*kind == OptionLine::kDefaultServer) {
        note_check_timing(config, line, 1);
      }
      warn_dropped_options(config, line, *kind);
    }
    if (const auto kind = check_connect_line(line)) warn_dropped_options(config, line, *kind);
    checks.apply(line);
    http_mode.apply(line);
  }
  for (std::size_t i = 0; i < config.backends.size(); ++i) {
    config.backends[i].check_path = checks.proxies()[i].path();
    config.backends[i].expects = checks.proxies()[i].expects;
    if (config.backends[i].check_path) config.backends[i].expects.kind = "http";
  }
  for (std::size_t i = 0; i < config.frontends.size(); ++i) {
    config.frontends[i].http = http_mode.proxies()[i];
  }
  return config;
}

// ---------------------------------------------------------------------------------------------
// Rewrite.

namespace {

class Output {
 public:
  void add(std::string line, int origin) {
    text_ += line;
    text_ += '\n';
    line_map_.push_back(origin);
  }

  RewrittenConfig finish() && { return {std::move(text_), std::move(line_map_)}; }

 private:
  std::string text_;
  std::vector<int> line_map_{0};
};

// The new address of each bind line (by line number) and server (by key).
class Addresses {
 public:
  Addresses(const UserConfig& config, const InstanceEndpoints& endpoints,
            const ServerTargets& targets) {
    for (const auto& bind : config.binds) {
      by_line_[bind.line] = lookup(endpoints.binds, bind.key, "bind").to_string();
    }
    for (const auto& server : config.servers) {
      by_server_[server.key()] = lookup(targets, server.key(), "server").to_string();
      if (!server.from_template) by_line_[server.line] = by_server_[server.key()];
    }
  }

  [[nodiscard]] const std::string& of(const ParsedLine& line) const {
    const auto it = by_line_.find(line.number);
    if (it == by_line_.end()) {
      throw std::logic_error(fmt::format("haproxy config rewrite: line {} was not scanned: {}",
                                         line.number, line.text));
    }
    return it->second;
  }

  [[nodiscard]] const std::string& of_server(const std::string& key) const {
    const auto it = by_server_.find(key);
    if (it == by_server_.end()) {
      throw std::logic_error(fmt::format("haproxy config rewrite: no address for server '{}'", key));
    }
    return it->second;
  }

 private:
  template <typename Map>
  static const Endpoint& lookup(const Map& map, const std::string& key, std::string_view what) {
    const auto it = map.find(key);
    if (it == map.end()) {
      throw std::logic_error(
          fmt::format("haproxy config rewrite: no address for {} '{}'", what, key));
    }
    return it->second;
  }

  std::map<int, std::string> by_line_;
  std::map<std::string, std::string> by_server_;
};

struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string replacement;
};

std::string apply_edits(std::string_view text, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  std::string out(text);
  for (const auto& edit : edits) {
    out.replace(edit.begin, edit.end - edit.begin, edit.replacement);
  }
  return out;
}

std::vector<Edit> dropped_option_edits(const ParsedLine& line, OptionLine kind) {
  std::vector<Edit> edits;
  for (const auto& dropped : dropped_options(line, kind)) {
    edits.push_back({line.words[dropped.first - 1].end, line.words[dropped.last].end, ""});
  }
  return edits;
}

// A bind/server line with its address replaced (appended when missing), or a default-server
// or check connect line, without the options the harness cannot honour. Spacing and comments
// are kept.
std::string edited_line(const ParsedLine& line, OptionLine kind, const Addresses& addresses) {
  std::vector<Edit> edits = dropped_option_edits(line, kind);
  if (kind == OptionLine::kBind || kind == OptionLine::kServer) {
    const std::size_t index = kind == OptionLine::kBind ? 1 : 2;
    const std::string& address = addresses.of(line);
    if (index < line.words.size()) {
      edits.push_back({line.words[index].begin, line.words[index].end, address});
    } else {
      edits.push_back({line.words.back().end, line.words.back().end, " " + address});
    }
  }
  return apply_edits(line.text, std::move(edits));
}

// The `server` lines a server-template line expands to, each at its harness node.
std::vector<std::string> expanded_template(const ParsedLine& line, const UserConfig& config,
                                           const Addresses& addresses) {
  std::vector<std::string> out;
  for (const auto& server : config.servers) {
    if (!server.from_template || server.line != line.number) continue;
    std::vector<Edit> edits = dropped_option_edits(line, OptionLine::kServerTemplate);
    edits.push_back({line.words[0].begin, line.words[3].end,
                     fmt::format("server {} {}", server.name, addresses.of_server(server.key()))});
    out.push_back(apply_edits(line.text, std::move(edits)));
  }
  return out;
}

// `[haproxy] files`: production path prefixes replaced by local folders, where they start a
// path (after a blank, a quote, '(' or ',' as in map(/etc/haproxy/hosts.map)).
std::string mapped_paths(std::string text, const UserConfig& config) {
  for (const auto& [prefix, local] : config.files) {
    if (prefix.empty()) continue;
    std::size_t pos = 0;
    while ((pos = text.find(prefix, pos)) != std::string::npos) {
      const bool starts = pos == 0 || std::string_view(" \t\"'(,=").find(text[pos - 1]) !=
                                          std::string_view::npos;
      const std::size_t after = pos + prefix.size();
      const bool ends = after >= text.size() || prefix.back() == '/' ||
                        std::string_view("/ \t\"'),").find(text[after]) != std::string_view::npos;
      if (starts && ends) {
        const auto replacement = local.string();
        text.replace(pos, prefix.size(), replacement);
        pos += replacement.size();
      } else {
        pos = after;
      }
    }
  }
  return text;
}

std::string commented(const ParsedLine& line, std::string_view label) {
  return fmt::format("{}# lbchaos {}: {}", indent_of(line.text), label, trimmed(line.text));
}

// Indentation of the first line with words after the header at `index`, for inserted lines.
std::string body_indent(const std::vector<ParsedLine>& lines, std::size_t index) {
  for (std::size_t i = index + 1; i < lines.size() && !lines[i].header; ++i) {
    if (!lines[i].words.empty()) {
      const auto indent = indent_of(lines[i].text);
      return indent.empty() ? std::string(kDefaultIndent) : std::string(indent);
    }
  }
  return std::string(kDefaultIndent);
}

// `default-path config|parent` resolves against the rewritten file's directory: pin it to
// the user's.
std::optional<std::string> pinned_default_path(const ParsedLine& line,
                                               const std::filesystem::path& user_dir) {
  if (line.keyword() != "default-path") return std::nullopt;
  std::filesystem::path origin;
  if (line.word(1) == "config") origin = user_dir;
  else if (line.word(1) == "parent") origin = user_dir.parent_path();
  else return std::nullopt;
  if (origin.string().find('$') != std::string::npos) return std::nullopt;
  return fmt::format("{}default-path origin {}", indent_of(line.text),
                     haproxy_word(origin.string()));
}

bool http_frontend_at(const UserConfig& config, int header_line) {
  return std::any_of(config.frontends.begin(), config.frontends.end(),
                     [&](const UserFrontend& f) { return f.line == header_line && f.http; });
}

constexpr std::string_view kLocalPeer = "lbchaos-local";

// First of all, so that every `log global` below sees the harness's log target.
void add_harness_global(Output& out, const UserConfig& config, const InstanceEndpoints& endpoints,
                        const std::filesystem::path& user_dir) {
  std::string shown_file = config.file.string();
  std::replace(shown_file.begin(), shown_file.end(), '\n', '?');
  out.add(fmt::format("# lbchaos: {} rewritten for haproxy instance {}; that file is unchanged.",
                      shown_file, endpoints.index),
          0);
  out.add("# Lines marked 'lbchaos' were changed or added by the harness.", 0);
  out.add("global", 0);
  for (auto& line : harness_global_lines(endpoints)) out.add(std::move(line), 0);
  if (user_dir.string().find('$') == std::string::npos) {
    // haproxy resolves relative paths (errorfile, lua-load, maps) against its working
    // directory; the user meant their config's directory.
    out.add(fmt::format("{}default-path origin {}", kDefaultIndent,
                        haproxy_word(user_dir.string())),
            0);
  }
  if (config.peers_sections > 0) out.add(fmt::format("{}localpeer {}", kDefaultIndent, kLocalPeer), 0);
  out.add("", 0);
  if (config.loads_lua && !config.has_default_resolvers) {
    // haproxy 2.6 would otherwise build a `default` resolvers section from /etc/resolv.conf
    // for Lua's HTTP client: without nameservers nothing is resolved off this machine.
    out.add("resolvers default  # lbchaos: no DNS outside loopback", 0);
    out.add("", 0);
  }
}

// Peers of one section listen on a Unix socket of the run; their remote peers are disabled.
std::string local_peer_line(const InstanceEndpoints& endpoints, int nth, std::string_view indent) {
  const auto socket = endpoints.stats_socket.parent_path() / fmt::format("peers{}.sock", nth);
  return fmt::format("{}peer {} {}  # lbchaos: the local peer, on a Unix socket", indent,
                     kLocalPeer, haproxy_word(socket.string()));
}

}  // namespace

RewrittenConfig rewrite_user_config(const UserConfig& config, const InstanceEndpoints& endpoints,
                                    const ServerTargets& targets) {
  const Addresses addresses(config, endpoints, targets);
  const auto user_dir = std::filesystem::absolute(config.file).parent_path();

  Output out;
  add_harness_global(out, config, endpoints, user_dir);
  const auto lines = parse_lines(config);
  int peers = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const ParsedLine& line = lines[i];
    if (line.directive) {
      out.add(commented(line, "evaluated"), line.number);
      continue;
    }
    if (line.skipped) {
      out.add(commented(line, "skipped by .if"), line.number);
      continue;
    }
    if (disabled_line(line, config.environment)) {
      out.add(commented(line, "removed"), line.number);
      continue;
    }
    if (line.header) {
      if (has_binds(line.section) && line.words.size() >= 3 && line.word(2) != "from") {
        // `listen NAME ADDRESS`: haproxy 2.6 refuses the form (its message says so); the copy
        // still names no address off loopback.
        out.add(commented(line, "was"), line.number);
        out.add(apply_edits(line.text, {{line.words[2].begin, line.words[2].end, "127.0.0.1:1"}}),
                line.number);
      } else {
        out.add(std::string(line.text), line.number);
      }
      const auto indent = body_indent(lines, i);
      if (is_proxy(line.section)) {
        out.add(fmt::format("{}log global  # lbchaos: logs go to the harness", indent), 0);
        if (has_servers(line.section)) {
          out.add(fmt::format("{}option log-health-checks  # lbchaos", indent), 0);
        }
        if (http_frontend_at(config, line.number)) {
          for (auto& added : request_log_lines(indent)) out.add(added + "  # lbchaos", 0);
        }
      } else if (line.section == Section::kOther && line.keyword() == "peers") {
        out.add(local_peer_line(endpoints, ++peers, indent), 0);
      }
      continue;
    }
    if (line.section == Section::kGlobal) {
      if (auto pinned = pinned_default_path(line, user_dir)) {
        out.add(commented(line, "replaced"), line.number);
        out.add(std::move(*pinned), line.number);
        continue;
      }
    }
    const auto kind = option_line_kind(line);
    const auto connect = check_connect_line(line);
    if (kind == OptionLine::kServerTemplate) {
      out.add(commented(line, "expanded"), line.number);
      for (auto& server : expanded_template(line, config, addresses)) {
        out.add(mapped_paths(std::move(server), config), line.number);
      }
      continue;
    }
    std::string edited = kind      ? edited_line(line, *kind, addresses)
                         : connect ? edited_line(line, *connect, addresses)
                                   : std::string(line.text);
    edited = mapped_paths(std::move(edited), config);
    if (edited != line.text) out.add(commented(line, "was"), line.number);
    out.add(std::move(edited), line.number);
  }

  out.add("", 0);
  for (auto& line : metrics_frontend_lines(endpoints.metrics)) out.add(std::move(line), 0);
  return std::move(out).finish();
}

// ---------------------------------------------------------------------------------------------
// haproxy's messages.

std::string translate_haproxy_message(std::string_view haproxy_output,
                                      const std::filesystem::path& rewritten_path,
                                      const std::filesystem::path& user_path,
                                      const std::vector<int>& line_map) {
  const std::string needle = rewritten_path.string();
  if (needle.empty()) return std::string(haproxy_output);
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto found = haproxy_output.find(needle, pos);
    if (found == std::string_view::npos) break;
    out.append(haproxy_output.substr(pos, found - pos));
    std::size_t after = found + needle.size();
    std::size_t digits_end = after + 1;
    while (digits_end < haproxy_output.size() && haproxy_output[digits_end] >= '0' &&
           haproxy_output[digits_end] <= '9') {
      ++digits_end;
    }
    const bool has_line = after < haproxy_output.size() && haproxy_output[after] == ':' &&
                          digits_end > after + 1 && digits_end - after - 1 <= 9;
    if (!has_line) {
      out += user_path.string();
      pos = after;
      continue;
    }
    const int line =
        std::stoi(std::string(haproxy_output.substr(after + 1, digits_end - after - 1)));
    const bool mapped = line > 0 && static_cast<std::size_t>(line) < line_map.size() &&
                        line_map[static_cast<std::size_t>(line)] > 0;
    if (mapped) {
      out += fmt::format("{}:{}", user_path.string(), line_map[static_cast<std::size_t>(line)]);
    } else {
      out += fmt::format("{}:{} (added by lbchaos)", needle, line);
    }
    pos = digits_end;
  }
  out.append(haproxy_output.substr(pos));
  return out;
}

}  // namespace lbchaos::topology
