#include "harness/topology/haproxy_rewrite.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>

#include "harness/common/errors.h"
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
          word.value += line[++i];
        } else {
          word.value += c;
        }
      } else if (c == ' ' || c == '\t' || c == '#') {
        break;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '\\' && i + 1 < line.size()) {
        word.value += line[++i];
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

  [[nodiscard]] std::string_view word(std::size_t i) const { return word_at(words, i); }
  [[nodiscard]] std::string_view keyword() const { return word(0); }
};

std::vector<ParsedLine> parse_lines(const std::vector<std::string>& lines) {
  std::vector<ParsedLine> parsed;
  parsed.reserve(lines.size());
  Section section = Section::kNone;
  std::string name;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ParsedLine line;
    line.number = static_cast<int>(i) + 1;
    line.text = lines[i];
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

enum class DropReason { kTls, kProxyProtocol, kCheckAddress, kLocalBinding };

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
    for (const auto name :
         {"cookie", "inter", "fastinter", "downinter", "fall", "rise", "weight", "maxconn",
          "maxqueue", "minconn", "id", "track", "slowstart", "on-error", "on-marked-down",
          "on-marked-up", "error-limit", "observe", "redir", "agent-port", "agent-inter",
          "agent-addr", "agent-send", "init-addr", "resolvers", "resolve-prefer", "resolve-net",
          "resolve-opts", "pool-max-conn", "pool-purge-delay", "pool-low-conn", "max-reuse",
          "proto", "tcp-ut", "ws", "log-proto", "socks4", "hash-key", "source", "usesrc",
          "interface"}) {
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

enum class OptionLine { kBind, kServer, kDefaultServer };


std::optional<OptionLine> option_line_kind(const ParsedLine& line) {
  if (line.header) return std::nullopt;
  const auto keyword = line.keyword();
  if (keyword == "bind" && has_binds(line.section)) return OptionLine::kBind;
  if (keyword == "server" && has_servers(line.section) && line.words.size() >= 2) {
    return OptionLine::kServer;
  }
  if (keyword == "default-server" &&
      (has_servers(line.section) || line.section == Section::kDefaults)) {
    return OptionLine::kDefaultServer;
  }
  return std::nullopt;
}

std::vector<DroppedOption> dropped_options(const ParsedLine& line, OptionLine kind) {
  switch (kind) {
    case OptionLine::kBind: return dropped_options(line.words, 2, bind_rules());
    case OptionLine::kServer: return dropped_options(line.words, 3, server_rules());
    case OptionLine::kDefaultServer: return dropped_options(line.words, 1, server_rules());
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Lines the rewrite comments out (the same decision in scan, for warnings, and in rewrite).

bool removed_from_global(const ParsedLine& line) {
  const auto keyword = line.keyword();
  if (keyword == "stats") return line.word(1) == "socket";
  for (const std::string_view removed :
       {"daemon", "chroot", "user", "group", "uid", "gid", "pidfile", "nbproc", "master-worker",
        "log", "log-tag", "unix-bind"}) {
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

bool removed_line(const ParsedLine& line) {
  if (line.header) return false;
  if (line.section == Section::kGlobal) return removed_from_global(line);
  if (line.section == Section::kDefaults || is_proxy(line.section)) {
    return removed_from_proxy(line);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Scan.

// What a defaults or backend section says about HTTP health checks.
struct CheckState {
  bool http = false;
  std::string uri = "/";
  std::optional<std::string> send_uri;

  [[nodiscard]] std::optional<std::string> path() const {
    if (!http) return std::nullopt;
    return send_uri ? *send_uri : uri;
  }
};

void apply_check_line(const ParsedLine& line, CheckState& state) {
  const auto keyword = line.keyword();
  if (keyword == "option" && line.word(1) == "httpchk") {
    state.http = true;
    const auto arguments = line.words.size() - 2;
    state.uri = arguments == 0 ? "/" : std::string(line.word(arguments == 1 ? 2 : 3));
    return;
  }
  if (keyword == "no" && line.word(1) == "option" && line.word(2) == "httpchk") {
    state.http = false;
    return;
  }
  if (keyword == "option") {
    // Another check type replaces HTTP checks (ssl-hello-chk is commented out by the rewrite).
    for (const std::string_view other : {"tcp-check", "smtpchk", "mysql-check", "pgsql-check",
                                         "redis-check", "ldap-check", "spop-check",
                                         "external-check"}) {
      if (line.word(1) == other) state.http = false;
    }
    return;
  }
  if (keyword == "http-check" && line.word(1) == "send") {
    for (std::size_t i = 2; i + 1 < line.words.size(); ++i) {
      if (line.word(i) == "uri") state.send_uri = std::string(line.word(i + 1));
    }
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
  using Apply = void (*)(const ParsedLine&, State&);

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

void warn_removed_line(UserConfig& config, const ParsedLine& line) {
  if (line.section == Section::kGlobal || line.keyword() == "log") return;  // expected
  const bool request_logs =
      line.keyword() == "log-format-sd" || line.word(1) == "dontlog-normal";
  const std::string_view why =
      request_logs ? "the harness reads which server served each request from haproxy's log"
      : line.keyword() == "option" ? "the harness nodes speak plain HTTP"
                                   : "the harness needs every proxy's logs and health checks";
  config.warnings.push_back(fmt::format("{}: '{}' commented out: {}", location(config, line.number),
                                        trimmed(line.text), why));
}

void warn_other_section(UserConfig& config, const ParsedLine& header) {
  const auto keyword = header.keyword();
  if (keyword == "peers" || keyword == "log-forward") {
    config.warnings.push_back(fmt::format(
        "{}: {} section '{}' is run unchanged: its addresses must be usable on this machine",
        location(config, header.number), keyword, header.word(1)));
  } else if (keyword == "program") {
    config.warnings.push_back(fmt::format(
        "{}: program section '{}' is run unchanged: haproxy's master will start it",
        location(config, header.number), header.word(1)));
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

UserConfig scan_user_config(const std::filesystem::path& file) {
  return scan_user_config_text(read_file(file), file);
}

UserConfig scan_user_config_text(std::string text, const std::filesystem::path& file) {
  UserConfig config;
  config.file = file;
  config.text = std::move(text);
  config.lines = split_lines(config.text);
  if (!config.text.empty() && config.text.back() != '\n') {
    throw InputError(
        SourcePosition{file.string(), static_cast<int>(config.lines.size()), 0},
        "the last line has no newline: haproxy rejects the file as truncated");
  }

  std::map<std::string, int> binds_per_section;
  InheritedSetting<CheckState> checks(has_servers, apply_check_line);
  InheritedSetting<bool> http_mode(has_binds, apply_mode_line);
  for (const ParsedLine& line : parse_lines(config.lines)) {
    if (line.header) {
      checks.open(line);
      http_mode.open(line);
      if (has_servers(line.section)) {
        config.backends.push_back(
            {line.section_name, line.number, line.section == Section::kListen, std::nullopt});
      }
      if (has_binds(line.section)) {
        config.frontends.push_back(
            {line.section_name, line.number, line.section == Section::kListen, false});
      } else if (line.section == Section::kOther) {
        warn_other_section(config, line);
      }
      continue;
    }
    if (line.words.empty()) continue;

    if (line.keyword() == "server-template" && has_servers(line.section)) {
      throw InputError(SourcePosition{file.string(), line.number,
                                      static_cast<int>(line.words[0].begin) + 1},
                       "server-template is not supported yet: list the servers");
    }
    if (const auto kind = option_line_kind(line)) {
      if (*kind == OptionLine::kBind) {
        const int nth = ++binds_per_section[line.section_name];
        config.binds.push_back({line.section_name, line.number,
                                nth == 1 ? line.section_name
                                         : fmt::format("{}#{}", line.section_name, nth),
                                std::string(line.word(1))});
      } else if (*kind == OptionLine::kServer) {
        config.servers.push_back({line.section_name, std::string(line.word(1)), line.number,
                                  std::string(line.word(2))});
      }
      warn_dropped_options(config, line, *kind);
    }
    if (removed_line(line)) {
      warn_removed_line(config, line);
      continue;
    }
    checks.apply(line);
    http_mode.apply(line);
  }
  for (std::size_t i = 0; i < config.backends.size(); ++i) {
    config.backends[i].check_path = checks.proxies()[i].path();
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

// The new address of each bind and server line, by line number.
class Addresses {
 public:
  Addresses(const UserConfig& config, const InstanceEndpoints& endpoints,
            const ServerTargets& targets) {
    for (const auto& bind : config.binds) {
      by_line_[bind.line] = lookup(endpoints.binds, bind.key, "bind").to_string();
    }
    for (const auto& server : config.servers) {
      by_line_[server.line] = lookup(targets, server.key(), "server").to_string();
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
};

struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string replacement;
};

// A bind/server line with its address replaced (appended when missing), or a default-server
// line, without the options the harness cannot honour. Spacing and comments are kept.
std::string edited_line(const ParsedLine& line, OptionLine kind, const Addresses& addresses) {
  std::vector<Edit> edits;
  if (kind != OptionLine::kDefaultServer) {
    const std::size_t index = kind == OptionLine::kBind ? 1 : 2;
    const std::string& address = addresses.of(line);
    if (index < line.words.size()) {
      edits.push_back({line.words[index].begin, line.words[index].end, address});
    } else {
      edits.push_back({line.words.back().end, line.words.back().end, " " + address});
    }
  }
  for (const auto& dropped : dropped_options(line, kind)) {
    edits.push_back({line.words[dropped.first - 1].end, line.words[dropped.last].end, ""});
  }
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  std::string out(line.text);
  for (const auto& edit : edits) {
    out.replace(edit.begin, edit.end - edit.begin, edit.replacement);
  }
  return out;
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
  out.add("", 0);
}

}  // namespace

RewrittenConfig rewrite_user_config(const UserConfig& config, const InstanceEndpoints& endpoints,
                                    const ServerTargets& targets) {
  const Addresses addresses(config, endpoints, targets);
  const auto user_dir = std::filesystem::absolute(config.file).parent_path();

  Output out;
  add_harness_global(out, config, endpoints, user_dir);
  const auto lines = parse_lines(config.lines);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const ParsedLine& line = lines[i];
    if (line.header) {
      out.add(std::string(line.text), line.number);
      if (is_proxy(line.section)) {
        const auto indent = body_indent(lines, i);
        out.add(fmt::format("{}log global  # lbchaos: logs go to the harness", indent), 0);
        if (has_servers(line.section)) {
          out.add(fmt::format("{}option log-health-checks  # lbchaos", indent), 0);
        }
        if (http_frontend_at(config, line.number)) {
          for (auto& added : request_log_lines(indent)) out.add(added + "  # lbchaos", 0);
        }
      }
      continue;
    }
    if (removed_line(line)) {
      out.add(commented(line, "removed"), line.number);
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
    if (!kind) {
      out.add(std::string(line.text), line.number);
      continue;
    }
    std::string edited = edited_line(line, *kind, addresses);
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
