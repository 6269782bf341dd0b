#include "harness/validate/haproxy_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/common/errors.h"

namespace lbchaos::validate {
namespace {

using namespace std::chrono_literals;

// Server options that take one argument (the rest are flags): enough to skip arguments so
// that a value is never read as an option.
const std::set<std::string_view> kServerOptionsWithArgument{
    "addr",           "agent-addr",   "agent-inter",   "agent-port",       "agent-send",
    "alpn",           "ca-file",      "check-sni",     "ciphers",          "ciphersuites",
    "cookie",         "crl-file",     "crt",           "error-limit",      "fall",
    "fastinter",      "downinter",    "id",            "init-addr",        "inter",
    "maxconn",        "maxqueue",     "minconn",       "namespace",        "observe",
    "on-error",       "on-marked-down", "on-marked-up", "pool-max-conn",   "pool-purge-delay",
    "port",           "proto",        "redir",         "rise",             "resolve-opts",
    "resolve-prefer", "resolve-net",  "resolvers",     "weight",           "slowstart",
    "sni",            "source",       "tcp-ut",        "verify",           "verifyhost",
    "ws",             "log-proto",    "max-reuse",     "check-proto",      "check-alpn",
    "proxy-v2-options", "usesrc",     "socks4",        "track",            "shard",
    "hash-key",       "curves",       "sigalgs",       "client-sigalgs",   "npn",
    "pool-low-conn",  "ssl-max-ver",  "ssl-min-ver",   "check-via-socks4", "set-proxy-v2-tlv-fmt",
    "agent-check-port"};

std::optional<int> to_int(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<ProxyKind> proxy_keyword(std::string_view word) {
  if (word == "defaults") return ProxyKind::kDefaults;
  if (word == "frontend") return ProxyKind::kFrontend;
  if (word == "backend") return ProxyKind::kBackend;
  if (word == "listen") return ProxyKind::kListen;
  return std::nullopt;
}

bool is_other_section(std::string_view word) {
  static const std::set<std::string_view> kOther{
      "global",  "peers",       "resolvers", "userlist",    "cache",   "program",
      "ring",    "http-errors", "mailers",   "log-forward", "fcgi-app", "crt-store", "traces"};
  return kOther.contains(word);
}

// Applies server / default-server options (words from `first` on) to `server`.
void apply_server_options(ServerDecl& server, const std::vector<std::string>& words,
                          std::size_t first, int line) {
  for (std::size_t i = first; i < words.size(); ++i) {
    const std::string_view option = words[i];
    const std::string_view value =
        i + 1 < words.size() ? std::string_view(words[i + 1]) : std::string_view();
    const auto time = [&] { return parse_haproxy_time(value); };
    if (option == "check") {
      server.check = true;
      if (server.check_line == 0) server.check_line = line;
    } else if (option == "no-check") {
      server.check = false;
    } else if (option == "backup") {
      server.backup = true;
    } else if (option == "no-backup") {
      server.backup = false;
    } else if (option == "disabled") {
      server.disabled = true;
    } else if (option == "enabled") {
      server.disabled = false;
    } else if (option == "weight") {
      if (const auto w = to_int(value)) server.weight = *w;
    } else if (option == "maxconn") {
      if (const auto m = to_int(value)) server.maxconn = *m;
    } else if (option == "inter") {
      if (const auto t = time()) server.inter = *t, server.check_line = line;
    } else if (option == "fastinter") {
      if (const auto t = time()) server.fastinter = *t, server.check_line = line;
    } else if (option == "downinter") {
      if (const auto t = time()) server.downinter = *t, server.check_line = line;
    } else if (option == "fall") {
      if (const auto n = to_int(value)) server.fall = *n, server.check_line = line;
    } else if (option == "rise") {
      if (const auto n = to_int(value)) server.rise = *n, server.check_line = line;
    } else if (option == "observe") {
      server.observe = std::string(value);
    }
    if (kServerOptionsWithArgument.contains(option)) ++i;
  }
}

class ConfigReader {
 public:
  explicit ConfigReader(const std::filesystem::path& file) { config_.file = file; }

  HaproxyConfig read(std::string_view text) {
    std::istringstream in{std::string(text)};
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto words = split_config_words(line);
      if (words.empty()) continue;
      handle(words, number);
    }
    finish_proxy();
    return std::move(config_);
  }

 private:
  void finish_proxy() {
    if (!current_) return;
    if (current_->kind == ProxyKind::kDefaults) {
      last_defaults_ = *current_;
      if (!current_->name.empty()) named_defaults_[current_->name] = *current_;
    } else {
      config_.proxies.push_back(std::move(*current_));
    }
    current_.reset();
  }

  void open_proxy(ProxyKind kind, const std::vector<std::string>& words, int line) {
    finish_proxy();
    std::string name = words.size() > 1 && words[1] != "from" ? words[1] : "";
    std::optional<std::string> from;
    for (std::size_t i = 1; i + 1 < words.size(); ++i) {
      if (words[i] == "from") from = words[i + 1];
    }
    Proxy proxy;
    if (from && named_defaults_.contains(*from)) {
      proxy = named_defaults_[*from];
    } else if (last_defaults_) {
      proxy = *last_defaults_;
    }
    // What a proxy does not inherit from its defaults.
    proxy.servers.clear();
    proxy.use_backends.clear();
    proxy.default_backend.reset();
    proxy.name = std::move(name);
    proxy.kind = kind;
    proxy.line = line;
    in_other_section_ = false;
    current_ = std::move(proxy);
  }

  void handle(const std::vector<std::string>& words, int line) {
    const std::string& keyword = words[0];
    if (const auto kind = proxy_keyword(keyword)) return open_proxy(*kind, words, line);
    if (is_other_section(keyword)) {
      finish_proxy();
      in_other_section_ = true;
      in_global_ = keyword == "global";
      return;
    }
    if (in_other_section_) {
      if (in_global_ && keyword == "maxconn" && words.size() > 1) {
        config_.global_maxconn = to_int(words[1]).value_or(0);
      }
      return;
    }
    if (!current_) return;
    apply(*current_, words, line);
  }

  static void apply(Proxy& p, const std::vector<std::string>& words, int line) {
    const std::string& keyword = words[0];
    const auto word = [&](std::size_t i) {
      return i < words.size() ? std::string_view(words[i]) : std::string_view();
    };
    const bool negated = keyword == "no" && word(1) == "option";
    if (keyword == "bind") {
      p.binds = true;
    } else if (keyword == "mode") {
      p.http = word(1) == "http";
    } else if (keyword == "balance" && words.size() > 1) {
      p.balance = {words[1], line};
      p.balance_args.assign(words.begin() + 2, words.end());
    } else if ((keyword == "option" || negated) && word(negated ? 2 : 1) == "redispatch") {
      p.redispatch = {!negated, line};
    } else if (keyword == "option" && word(1) == "httpchk") {
      p.httpchk = {true, line};
      // option httpchk <uri> | <method> <uri> [<version>]
      if (words.size() == 3) p.check_path = words[2];
      if (words.size() >= 4) p.check_path = words[3];
    } else if (negated && word(2) == "httpchk") {
      p.httpchk = {false, line};
    } else if (keyword == "option" && word(1) == "tcp-check") {
      p.tcp_check = {true, line};
    } else if (keyword == "http-check" && word(1) == "expect") {
      p.http_expect.push_back({{words.begin() + 2, words.end()}, line});
    } else if (keyword == "http-check" && word(1) == "send") {
      for (std::size_t i = 2; i + 1 < words.size(); ++i) {
        if (words[i] == "uri") p.check_path = words[i + 1];
      }
    } else if (keyword == "tcp-check" && word(1) == "expect") {
      p.tcp_expect.push_back({{words.begin() + 2, words.end()}, line});
    } else if (keyword == "tcp-check" && (word(1) == "send" || word(1) == "send-binary")) {
      p.tcp_send.push_back({{words.begin() + 1, words.end()}, line});
    } else if (keyword == "retries") {
      if (const auto n = to_int(word(1))) p.retries = {*n, line};
    } else if (keyword == "timeout" && words.size() > 2) {
      if (const auto t = parse_haproxy_time(words[2])) p.timeouts[words[1]] = {*t, line};
    } else if (keyword == "maxconn") {
      if (const auto n = to_int(word(1))) p.maxconn = Setting<int>{*n, line};
    } else if (keyword == "default-server") {
      apply_server_options(p.default_server, words, 1, line);
    } else if (keyword == "server" && words.size() > 2) {
      ServerDecl server = p.default_server;
      server.name = words[1];
      server.address = words[2];
      server.line = line;
      apply_server_options(server, words, 3, line);
      if (server.check_line == 0) server.check_line = line;
      p.servers.push_back(std::move(server));
    } else if (keyword == "default_backend" && words.size() > 1) {
      p.default_backend = Setting<std::string>{words[1], line};
    } else if (keyword == "use_backend" && words.size() > 1) {
      p.use_backends.push_back({words[1], line});
    }
  }

  HaproxyConfig config_;
  std::optional<Proxy> current_;
  std::optional<Proxy> last_defaults_;
  std::map<std::string, Proxy> named_defaults_;
  bool in_other_section_ = false;
  bool in_global_ = false;
};

}  // namespace

std::optional<Setting<Duration>> Proxy::timeout(std::string_view which) const {
  const auto it = timeouts.find(std::string(which));
  if (it == timeouts.end()) return std::nullopt;
  return it->second;
}

const Proxy* HaproxyConfig::find(std::string_view name) const {
  for (const auto& proxy : proxies) {
    if (proxy.name == name && proxy.has_servers_section()) return &proxy;
  }
  return nullptr;
}

const Proxy* HaproxyConfig::entry() const {
  for (const auto& proxy : proxies) {
    if (proxy.takes_traffic() && proxy.binds) return &proxy;
  }
  return nullptr;
}

const Proxy* HaproxyConfig::traffic_backend() const {
  const Proxy* proxy = entry();
  if (proxy == nullptr) return nullptr;
  if (proxy->kind == ProxyKind::kListen && !proxy->servers.empty()) return proxy;
  if (proxy->default_backend) return find(proxy->default_backend->value);
  if (!proxy->use_backends.empty()) return find(proxy->use_backends.front().value);
  return nullptr;
}

std::optional<Duration> parse_haproxy_time(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  long long value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  const std::string_view unit = text.substr(digits);
  if (unit.empty() || unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "us") return std::chrono::microseconds(value);
  if (unit == "s") return std::chrono::seconds(value);
  if (unit == "m") return std::chrono::minutes(value);
  if (unit == "h") return std::chrono::hours(value);
  if (unit == "d") return std::chrono::hours(24 * value);
  return std::nullopt;
}

std::vector<std::string> split_config_words(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size() || line[i] == '#') break;
    std::string word;
    char quote = 0;
    for (; i < line.size(); ++i) {
      const char c = line[i];
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word += c;
        }
      } else if (c == ' ' || c == '\t' || c == '#') {
        break;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '\\' && i + 1 < line.size()) {
        word += line[++i];
      } else {
        word += c;
      }
    }
    words.push_back(std::move(word));
  }
  return words;
}

HaproxyConfig parse_haproxy_config(std::string_view text, const std::filesystem::path& file) {
  return ConfigReader(file).read(text);
}

HaproxyConfig read_haproxy_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read haproxy config {}", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_haproxy_config(text.str(), file);
}

}  // namespace lbchaos::validate
