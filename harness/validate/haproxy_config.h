#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/duration.h"

// A model of the user's haproxy.cfg for static analysis: sections, `defaults` inheritance
// (the last `defaults` before a proxy, or the one `from` names), and the settings that decide
// how traffic is spread and how fast a failure is noticed. Every setting keeps the user's line.
// It reads the text itself (haproxy's word rules, comments, quotes) and never rejects a
// config: `haproxy -c` is the judge of validity, this only reads what a valid config says.
namespace lbchaos::validate {

enum class ProxyKind { kDefaults, kFrontend, kBackend, kListen };

// A setting and the line that set it (0: haproxy's default, set nowhere).
template <class T>
struct Setting {
  T value{};
  int line = 0;
};

struct ServerDecl {
  std::string name;
  std::string address;
  int line = 0;
  int weight = 1;
  bool backup = false;
  bool disabled = false;
  bool check = false;
  std::optional<int> maxconn;
  Duration inter = std::chrono::seconds(2);  // haproxy's defaults
  std::optional<Duration> fastinter;
  std::optional<Duration> downinter;
  int fall = 3;
  int rise = 2;
  std::string observe;  // "layer4" / "layer7" / ""
  int check_line = 0;   // where `check`/timings were written (the server or default-server line)

  [[nodiscard]] Duration fastinter_or_inter() const { return fastinter.value_or(inter); }
  [[nodiscard]] Duration downinter_or_inter() const { return downinter.value_or(inter); }
};

struct Proxy {
  std::string name;
  ProxyKind kind = ProxyKind::kBackend;
  int line = 0;
  bool http = false;  // mode http (haproxy's default is tcp)
  bool binds = false; // has a `bind` line
  Setting<std::string> balance{"roundrobin", 0};
  std::vector<std::string> balance_args;
  Setting<bool> redispatch{false, 0};
  Setting<int> retries{3, 0};
  std::map<std::string, Setting<Duration>> timeouts;  // "server", "connect", "queue", "check"...
  Setting<bool> httpchk{false, 0};  // option httpchk
  std::string check_path = "/";
  Setting<bool> tcp_check{false, 0};  // option tcp-check
  // `http-check expect ...` / `tcp-check expect ...`: the words after "expect", with the line.
  std::vector<Setting<std::vector<std::string>>> http_expect;
  std::vector<Setting<std::vector<std::string>>> tcp_expect;
  std::vector<Setting<std::vector<std::string>>> tcp_send;  // tcp-check send ... words
  std::optional<Setting<int>> maxconn;
  ServerDecl default_server;
  std::vector<ServerDecl> servers;
  std::optional<Setting<std::string>> default_backend;
  std::vector<Setting<std::string>> use_backends;

  [[nodiscard]] bool has_servers_section() const {
    return kind == ProxyKind::kBackend || kind == ProxyKind::kListen;
  }
  [[nodiscard]] bool takes_traffic() const {
    return kind == ProxyKind::kFrontend || kind == ProxyKind::kListen;
  }
  [[nodiscard]] std::optional<Setting<Duration>> timeout(std::string_view which) const;
};

struct HaproxyConfig {
  std::filesystem::path file;
  std::vector<Proxy> proxies;  // frontends, backends, listens in file order (no defaults)
  int global_maxconn = 0;      // 0: not set

  [[nodiscard]] const Proxy* find(std::string_view name) const;
  // The first frontend or listen with a `bind` line: where the generated traffic enters.
  [[nodiscard]] const Proxy* entry() const;
  // The backend that traffic entering there reaches when no use_backend rule matches: the
  // listen itself, or its default_backend (else the first use_backend's).
  [[nodiscard]] const Proxy* traffic_backend() const;
};

// haproxy's time format: "500" (ms), "500ms", "2s", "1m", "100us", "1h", "1d".
[[nodiscard]] std::optional<Duration> parse_haproxy_time(std::string_view text);

// Splits a config line into words as haproxy does (blanks, quotes, '\' escapes, '#').
[[nodiscard]] std::vector<std::string> split_config_words(std::string_view line);

[[nodiscard]] HaproxyConfig parse_haproxy_config(std::string_view text,
                                                 const std::filesystem::path& file);
// Throws InputError when the file cannot be read.
[[nodiscard]] HaproxyConfig read_haproxy_config(const std::filesystem::path& file);

}  // namespace lbchaos::validate
