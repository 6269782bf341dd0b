#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/topology/endpoints.h"
#include "harness/topology/model.h"

// The user's own haproxy.cfg (`[haproxy] config = ...`), run by the harness. The file on disk is
// never modified: it is scanned once, and for each run its text is rewritten so that
//  - every `bind` of a frontend/listen section listens on the loopback address the harness
//    chose (InstanceEndpoints::binds), without TLS options: the harness drives plain HTTP;
//  - every `server` of a backend/listen section points at the harness node of that name
//    (ServerTargets), without TLS / PROXY-protocol / separate check address options;
//  - `global` loses what conflicts with a supervised foreground haproxy (daemon, chroot, user,
//    pidfile, its own stats socket and log targets...), which are commented out, not deleted;
//  - every proxy logs to the harness's syslog exactly once (see haproxy_rewrite.cc), and every
//    frontend/listen in HTTP mode logs which server served each request of the harness's
//    traffic (request_log_lines() in haproxy_render.h); `log-format-sd` and
//    `option dontlog-normal` lines, which would hide that, are commented out;
//  - the harness's Prometheus exporter frontend is appended.
// Lines keep their order; line_map relates the result to the user's line numbers, and
// translate_haproxy_message() points haproxy's own messages back at the user's file.
namespace lbchaos::topology {

// A `bind` line of a frontend or listen section.
//
// Bind keys (the keys of InstanceEndpoints::binds) name bind lines, not sections: the first
// `bind` line of section "www" is "www", its second "www#2", its third "www#3"... (haproxy
// proxy names cannot contain '#'). A topology without a user config binds each frontend once,
// under its name, so both modes agree on the first bind.
struct UserBind {
  std::string section;  // frontend or listen name
  int line = 0;         // 1-based line in the user's file
  std::string key;      // see above
  std::string address;  // as written: "*:443", ":80,:81", "/run/haproxy/www.sock"
};

// A `server` line of a backend or listen section.
struct UserServer {
  std::string backend;  // backend or listen name
  std::string name;
  int line = 0;
  std::string address;  // as written: "127.0.1.11:8080", "web1.internal:80"

  // "backend/server", the key of ServerTargets.
  [[nodiscard]] std::string key() const { return server_key(backend, name); }
};

// A backend or listen section.
struct UserBackend {
  std::string name;
  int line = 0;
  bool is_listen = false;
  // Set when its health checks are HTTP (`option httpchk`, possibly inherited from defaults):
  // the URI they request, "/" unless `option httpchk [<method>] <uri>` or
  // `http-check send ... uri <uri>` says otherwise.
  std::optional<std::string> check_path;
};

// A frontend or listen section.
struct UserFrontend {
  std::string name;
  int line = 0;
  bool is_listen = false;
  bool http = false;  // `mode http`, possibly inherited from defaults (haproxy's default is tcp)
};

struct UserConfig {
  std::filesystem::path file;
  std::string text;                // the file's bytes
  std::vector<std::string> lines;  // lines[0] is line 1; without "\n" or "\r\n"
  std::vector<UserBind> binds;
  std::vector<UserServer> servers;
  std::vector<UserBackend> backends;
  std::vector<UserFrontend> frontends;
  // What the rewrite will change in behaviour, "file:line: message" (dropped TLS options...).
  std::vector<std::string> warnings;

  [[nodiscard]] const UserBackend* find_backend(std::string_view name) const;
};

struct RewrittenConfig {
  std::string text;
  // line_map[n] is the user's line for line n (1-based) of `text`, 0 for a line the harness
  // added. line_map[0] is unused (0), so line_map.size() is the number of lines + 1.
  std::vector<int> line_map;
};

// Reads and scans the user's config. Throws InputError "cannot read haproxy config X: reason"
// when unreadable, and InputError at the offending line for what the harness cannot run:
// `server-template`, a file whose last line has no newline (haproxy rejects it as truncated).
[[nodiscard]] UserConfig scan_user_config(const std::filesystem::path& file);

// Same, from text already in memory; `file` only names it in messages.
[[nodiscard]] UserConfig scan_user_config_text(std::string text, const std::filesystem::path& file);

// The text to run for one haproxy instance. Throws std::logic_error when `endpoints` lacks a
// bind key or `targets` a server of the config: the caller creates one for each.
[[nodiscard]] RewrittenConfig rewrite_user_config(const UserConfig& config,
                                                  const InstanceEndpoints& endpoints,
                                                  const ServerTargets& targets);

// Rewrites haproxy's references to the rewritten file ("parsing [/run/x/haproxy.cfg:17]",
// "[/run/x/haproxy.cfg:17]", "declared at /run/x/haproxy.cfg:17", a bare path) into the user's
// file and original line, so that `lbchaos check` shows the user's own line numbers. A line
// the harness added is shown as "<rewritten path>:<n> (added by lbchaos)".
[[nodiscard]] std::string translate_haproxy_message(std::string_view haproxy_output,
                                                    const std::filesystem::path& rewritten_path,
                                                    const std::filesystem::path& user_path,
                                                    const std::vector<int>& line_map);

}  // namespace lbchaos::topology
