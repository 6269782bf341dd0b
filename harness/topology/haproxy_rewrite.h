#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/topology/endpoints.h"
#include "harness/topology/haproxy_conditions.h"
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
  bool from_template = false;  // one of the servers a `server-template` line expands to
  bool disabled = false;       // `disabled` on its line: haproxy starts it in maintenance

  // "backend/server", the key of ServerTargets.
  [[nodiscard]] std::string key() const { return server_key(backend, name); }
};

// What a backend's health checks send and expect, read from its (possibly inherited) check
// lines, so that the harness's nodes can answer them.
struct HealthExpectation {
  // "http", "tcp" (connect, or a tcp-check script), "redis", "mysql", "pgsql", "smtp", "ldap",
  // or what the harness cannot answer: "spop", "external", "ssl-hello"...
  std::string kind = "tcp";
  std::optional<int> http_status;        // http-check expect status N
  std::optional<std::string> http_body;  // http-check expect string X (or a literal rstring)
  // tcp-check send / expect pairs: the node answers `expect` when it receives `send`.
  std::vector<std::pair<std::string, std::string>> tcp_script;
  // The first line that says what the check expects, "file:line: text", for messages.
  std::string described_at;
  // An expectation the harness cannot derive an answer for (an rstring regex...).
  bool needs_description = false;
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
  // What its health checks expect, to answer them (see HealthExpectation).
  HealthExpectation expects;
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
  ConditionalLines conditions;  // .if blocks as the haproxy that runs the config evaluates them
  // The environment haproxy will expand `${VAR}` from (after the config's own setenv lines).
  std::map<std::string, std::string> environment;
  int peers_sections = 0;
  bool has_default_resolvers = false;  // a `resolvers default` section of its own
  bool loads_lua = false;
  // Production path prefix -> local folder, from the topology's [haproxy] files.
  std::map<std::string, std::filesystem::path> files;
  // The slowest health check: the longest interval a server waits between checks (inter,
  // with its line) and the check timeout; readiness waits for the first completed check.
  std::optional<std::pair<std::chrono::milliseconds, std::string>> slowest_check;

  [[nodiscard]] const UserBackend* find_backend(std::string_view name) const;
};

struct RewrittenConfig {
  std::string text;
  // line_map[n] is the user's line for line n (1-based) of `text`, 0 for a line the harness
  // added. line_map[0] is unused (0), so line_map.size() is the number of lines + 1.
  std::vector<int> line_map;
};

// How the config will be run: which haproxy evaluates its `.if` blocks, the environment it
// gets (`[haproxy] env`) and where production paths live on this machine (`[haproxy] files`).
struct ScanSettings {
  std::string haproxy_binary = "haproxy";
  std::map<std::string, std::string> env;
  std::map<std::string, std::filesystem::path> files;
};

// Reads and scans the user's config. Throws InputError "cannot read haproxy config X: reason"
// when unreadable, and InputError at the offending line for what the harness cannot run:
// a file whose last line has no newline (haproxy rejects it as truncated).
[[nodiscard]] UserConfig scan_user_config(const std::filesystem::path& file,
                                          const ScanSettings& settings = {});

// Same, from text already in memory; `file` only names it in messages.
[[nodiscard]] UserConfig scan_user_config_text(std::string text, const std::filesystem::path& file,
                                               const ScanSettings& settings = {});

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
