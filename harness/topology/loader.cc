#include "harness/topology/loader.h"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "harness/common/loopback.h"
#include "harness/common/toml_reader.h"
#include "harness/topology/gameday_settings.h"
#include "harness/topology/haproxy_rewrite.h"
#include "harness/topology/slo_loader.h"

namespace lbchaos::topology {
namespace {

namespace fs = std::filesystem;
using Keys = std::span<const std::string_view>;

constexpr std::array<std::string_view, 7> kTopLevelKeys{
    "name", "haproxy", "backend", "frontend", "alerting", "slo", "gameday"};
constexpr std::array<std::string_view, 7> kAlertingKeys{
    "engine", "rules", "scrape_interval", "alertmanager", "prometheus", "promtool", "alertmanager_binary"};
constexpr std::array<std::string_view, 2> kAlertEngines{"embedded", "prometheus"};
constexpr auto kMinScrapeInterval = std::chrono::milliseconds(250);
constexpr std::array<std::string_view, 7> kHaproxyKeys{
    "instances", "config", "binary", "ready_timeout", "maxconn", "env", "files"};
constexpr std::array<std::string_view, 12> kBackendKeys{
    "name",     "balance",         "check",          "redispatch",    "retries",
    "retry_on", "timeout_connect", "timeout_server", "timeout_queue", "server",
    "health",   "protocol"};
// With the user's own haproxy.cfg, a [[backend]] only lists the nodes behind its servers.
constexpr std::array<std::string_view, 4> kUserConfigBackendKeys{"name", "server", "health",
                                                                 "protocol"};
constexpr std::array<std::string_view, 3> kHealthKeys{"path", "status", "body"};
constexpr std::array<std::string_view, 7> kProtocols{"http",  "tcp",  "redis", "mysql",
                                                     "pgsql", "smtp", "ldap"};
constexpr std::array<std::string_view, 9> kCheckKeys{
    "enabled", "type", "inter", "fastinter", "downinter", "timeout", "fall", "rise", "path"};
constexpr std::array<std::string_view, 12> kServerKeys{
    "name",         "address",  "capacity", "weight", "latency", "max_inflight",
    "overload",     "maxconn",  "backup",   "command", "health", "protocol"};
// Behaviour of the built-in backend; meaningless for a command server.
constexpr std::array<std::string_view, 5> kBuiltinOnlyServerKeys{"latency", "max_inflight",
                                                                 "overload", "health", "protocol"};
// haproxy `server` line settings: the user's config owns them in user-config mode.
constexpr std::array<std::string_view, 3> kHaproxyServerKeys{"weight", "maxconn", "backup"};
constexpr std::array<std::string_view, 5> kFrontendKeys{"name", "backend", "address", "port",
                                                        "timeout_client"};

constexpr std::array<std::string_view, 7> kBalances{"roundrobin", "static-rr", "leastconn",
                                                    "first",      "source",    "uri",
                                                    "random"};
constexpr std::array<std::string_view, 3> kOverloads{"queue", "reject", "crash"};
constexpr std::array<std::string_view, 2> kCheckTypes{"http", "tcp"};
constexpr std::array<std::string_view, 17> kRetryOn{
    "none",         "conn-failure", "empty-response",      "junk-response", "response-timeout",
    "0rtt-rejected", "401",         "403",                 "404",           "408",
    "425",          "500",          "501",                 "502",           "503",
    "504",          "all-retryable-errors"};

constexpr int kMaxInstances = 8;
constexpr int kMaxWeight = 256;
constexpr int kMaxPort = 65535;

bool contains(Keys keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool is_valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

std::vector<std::string> split_on_whitespace(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

class TopologyLoader {
 public:
  TopologyLoader(const TomlFile& toml, const fs::path& file)
      : root_(toml.root, toml.file, "the topology file"),
        directory_(fs::absolute(file).lexically_normal().parent_path()) {
    topology_.file = fs::absolute(file).lexically_normal();
  }

  Topology load() {
    root_.allow_only(kTopLevelKeys);
    topology_.name = read_name(root_, "topology");
    read_haproxy();
    for (const TableReader& backend : root_.table_array("backend", "[backend]")) {
      read_backend(backend);
    }
    read_frontends();
    read_alerting();
    (void)read_slo(root_);  // strictly, here; `lbchaos validate` reads it with load_slo()
    (void)read_gameday_settings(root_);  // checked here; read by game days (gameday_settings.h)
    if (user_config()) add_user_config_servers();
    if (!user_config()) check_rendered_topology();
    return std::move(topology_);
  }

 private:
  [[nodiscard]] bool user_config() const { return topology_.haproxy.config.has_value(); }

  static std::string read_name(const TableReader& table, std::string_view what) {
    std::string name = table.required_string("name");
    if (!is_valid_name(name)) {
      table.fail("name", fmt::format("{} name \"{}\" may only contain letters, digits, '_', '.' "
                                     "and '-' (it is used in haproxy.cfg)",
                                     what, name));
    }
    return name;
  }

  // Names must be unique within their scope; `seen` maps a name to the line it was first used.
  // `scope` completes the message: "" or " in backend 'app'".
  static void check_unique(const TableReader& table, const std::string& name,
                           std::map<std::string, int>& seen, std::string_view what,
                           std::string_view scope = {}) {
    const int line = table.value_position("name").line;
    const auto [it, inserted] = seen.emplace(name, line);
    if (!inserted) {
      table.fail("name", fmt::format("duplicate {} '{}'{} (first defined on line {})", what, name,
                                     scope, it->second));
    }
  }

  static void reject_owned_by_user_config(const TableReader& table, Keys allowed) {
    for (const auto key : table.keys()) {
      if (!contains(allowed, key)) {
        table.fail_at_key(key,
                          fmt::format("'{}' is set by your haproxy config, not the topology", key));
      }
    }
  }

  static std::string read_loopback_address(const TableReader& table) {
    auto address = table.string("address");
    if (!address) return "127.0.0.1";
    if (!is_loopback_address(*address)) {
      table.fail("address",
                 fmt::format("address {} is not loopback: lbchaos only targets 127.0.0.0/8 and ::1",
                             *address));
    }
    return std::move(*address);
  }

  void read_haproxy() {
    HaproxySettings& settings = topology_.haproxy;
    settings.where = root_.position();
    const auto table = root_.table("haproxy", "[haproxy]");
    if (!table) return;
    table->allow_only(kHaproxyKeys);
    settings.where = table->position();
    if (const auto config = table->string("config")) {
      if (config->empty()) table->fail("config", "config must name your haproxy config file");
      const fs::path path = (directory_ / *config).lexically_normal();
      std::error_code error;
      if (!fs::exists(path, error)) {
        table->fail("config", fmt::format("config file {} does not exist", path.string()));
      }
      if (!fs::is_regular_file(path, error)) {
        table->fail("config", fmt::format("config file {} is not a regular file", path.string()));
      }
      settings.config = path;
      settings.config_where = table->value_position("config");
      if (table->has("maxconn")) {
        table->fail_at_key("maxconn", "'maxconn' is set by your haproxy config, not the topology");
      }
    }
    if (const auto instances = table->integer_in("instances", 1, kMaxInstances)) {
      settings.instances = *instances;
    }
    if (auto binary = table->string("binary")) {
      if (binary->empty()) table->fail("binary", "binary must name the haproxy executable");
      settings.binary = std::move(*binary);
    }
    if (const auto timeout = table->positive_duration("ready_timeout")) {
      settings.ready_timeout = *timeout;
    }
    if (const auto maxconn = table->integer_in("maxconn", 1)) settings.maxconn = *maxconn;
    ready_timeout_set_ = table->has("ready_timeout");
    settings.env = read_string_map(*table, "env", "{ NAME = \"value\" }");
    for (auto& [prefix, folder] :
         read_string_map(*table, "files", "{ \"/usr/local/etc/haproxy/errors\" = \"errors\" }")) {
      if (prefix.empty() || prefix.front() != '/') {
        table->fail("files", fmt::format("files: \"{}\" must be an absolute path of your "
                                         "production machine",
                                         prefix));
      }
      const fs::path local = (directory_ / folder).lexically_normal();
      std::error_code error;
      if (!fs::exists(local, error)) {
        table->fail("files", fmt::format("files: {} (for {}) does not exist", local.string(),
                                         prefix));
      }
      settings.files[prefix] = local;
    }
  }

  static std::map<std::string, std::string> read_string_map(const TableReader& table,
                                                            std::string_view key,
                                                            std::string_view example) {
    std::map<std::string, std::string> out;
    const toml::node* node = table.find(key);
    if (node == nullptr) return out;
    const auto* entries = node->as_table();
    if (entries == nullptr) table.fail_type(key, fmt::format("a table like {}", example));
    for (const auto& [name, value] : *entries) {
      const auto* text = value.as_string();
      if (text == nullptr) {
        throw InputError(source_position(table.file(), value.source()),
                         fmt::format("{}.{} must be a string, found {}", key, name.str(),
                                     describe_node(value)));
      }
      out[std::string(name.str())] = text->get();
    }
    return out;
  }

  static std::optional<HealthAnswer> read_health(const TableReader& table) {
    if (!table.has("health")) return std::nullopt;
    if (table.find("health")->as_table() == nullptr) {
      table.fail_type("health", "a table like { path = \"/ping\", status = 200, body = \"pong\" }");
    }
    const auto health = table.table("health", "health");
    health->allow_only(kHealthKeys);
    HealthAnswer answer;
    if (auto path = health->string("path")) {
      if (path->empty() || path->front() != '/') {
        health->fail("path", fmt::format("health path must start with '/', found \"{}\"", *path));
      }
      answer.path = std::move(*path);
    }
    if (const auto status = health->integer_in("status", 100, 599)) answer.status = *status;
    if (auto body = health->string("body")) answer.body = std::move(*body);
    return answer;
  }

  static std::string read_protocol(const TableReader& table) {
    return table.one_of("protocol", kProtocols).value_or("");
  }

  // Every server of the user's config is a node and a fault target, described or not.
  void add_user_config_servers() {
    ScanSettings settings{topology_.haproxy.binary, topology_.haproxy.env,
                          topology_.haproxy.files};
    const UserConfig config = scan_user_config(*topology_.haproxy.config, settings);
    for (const UserServer& user_server : config.servers) {
      if (topology_.find_server(user_server.backend, user_server.name) != nullptr) continue;
      auto backend = std::find_if(topology_.backends.begin(), topology_.backends.end(),
                                  [&](const Backend& b) { return b.name == user_server.backend; });
      if (backend == topology_.backends.end()) {
        Backend added;
        added.name = user_server.backend;
        added.where = topology_.haproxy.config_where;
        topology_.backends.push_back(std::move(added));
        backend = std::prev(topology_.backends.end());
      }
      Server server;
      server.name = user_server.name;
      server.where = SourcePosition{config.file.string(), user_server.line, 0};
      backend->servers.push_back(std::move(server));
    }
    derive_ready_timeout(config);
  }

  // Readiness waits for every server's first completed check: a config that checks every 20s
  // needs longer than the default.
  void derive_ready_timeout(const UserConfig& config) {
    if (ready_timeout_set_ || !config.slowest_check) return;
    const auto& [inter, where] = *config.slowest_check;
    const Duration needed = 2 * Duration(inter) + Duration(5s);
    if (needed <= topology_.haproxy.ready_timeout) return;
    topology_.haproxy.ready_timeout = needed;
    topology_.haproxy.ready_timeout_reason = fmt::format(
        "your config checks servers as slowly as {} and readiness waits for every server's first "
        "check: waiting up to {} (set [haproxy] ready_timeout to change it)",
        where, human_duration(needed));
  }

  void read_alerting() {
    AlertingSettings& alerting = topology_.alerting;
    alerting.where = root_.position();
    const auto table = root_.table("alerting", "[alerting]");
    if (!table) return;
    table->allow_only(kAlertingKeys);
    alerting.where = table->position();
    const bool prometheus = table->one_of("engine", kAlertEngines).value_or("embedded") == "prometheus";
    alerting.engine = prometheus ? AlertingSettings::Engine::kPrometheus
                                 : AlertingSettings::Engine::kEmbedded;
    if (const auto rules = table->string_array("rules")) {
      if (rules->empty()) table->fail("rules", "rules must name at least one rules file");
      for (const auto& rule_file : *rules) {
        const fs::path path = (directory_ / rule_file).lexically_normal();
        std::error_code error;
        if (!fs::is_regular_file(path, error)) {
          table->fail("rules", fmt::format("rules file {} does not exist", path.string()));
        }
        alerting.rules.push_back(path);
        alerting.rules_where.push_back(table->value_position("rules"));
      }
    } else if (prometheus) {
      table->fail_here("engine = \"prometheus\" needs rules = [\"your-rules.yml\"] (Prometheus "
                        "rule files; lbchaos ships alerts/haproxy.rules.yml)");
    }
    if (const auto interval = table->positive_duration("scrape_interval")) {
      if (*interval < kMinScrapeInterval) {
        table->fail("scrape_interval", "scrape_interval must be at least 250ms");
      }
      alerting.scrape_interval = *interval;
    }
    if (const auto alertmanager = table->boolean("alertmanager")) {
      if (*alertmanager && !prometheus) {
        table->fail("alertmanager", "alertmanager = true needs engine = \"prometheus\"");
      }
      alerting.alertmanager = *alertmanager;
    }
    const auto binary = [&](std::string_view key, std::string& into) {
      if (auto value = table->string(key)) {
        if (!prometheus) table->fail(key, fmt::format("{} needs engine = \"prometheus\"", key));
        if (value->empty()) table->fail(key, fmt::format("{} must name an executable", key));
        into = std::move(*value);
      }
    };
    binary("prometheus", alerting.prometheus_binary);
    binary("promtool", alerting.promtool_binary);
    binary("alertmanager_binary", alerting.alertmanager_binary);
  }

  void read_backend(const TableReader& table) {
    table.allow_only(kBackendKeys);
    if (user_config()) reject_owned_by_user_config(table, kUserConfigBackendKeys);
    Backend backend;
    backend.where = table.position();
    backend.name = read_name(table, "backend");
    check_unique(table, backend.name, backend_lines_, "backend");
    if (auto balance = table.one_of("balance", kBalances)) backend.balance = std::move(*balance);
    read_check(table, backend.check);
    if (const auto redispatch = table.boolean("redispatch")) backend.redispatch = *redispatch;
    if (const auto retries = table.integer_in("retries", 0)) backend.retries = *retries;
    if (auto retry_on = table.string_array("retry_on")) {
      for (std::size_t i = 0; i < retry_on->size(); ++i) {
        if (!contains(kRetryOn, (*retry_on)[i])) {
          const toml::node& element = *table.find("retry_on")->as_array()->get(i);
          throw InputError(source_position(table.file(), element.source()),
                           fmt::format("retry_on: \"{}\" is not a haproxy retry-on keyword "
                                       "(expected some of: {})",
                                       (*retry_on)[i], fmt::join(kRetryOn, ", ")));
        }
      }
      backend.retry_on = std::move(*retry_on);
    }
    if (const auto d = table.positive_duration("timeout_connect")) backend.timeout_connect = *d;
    if (const auto d = table.positive_duration("timeout_server")) backend.timeout_server = *d;
    if (const auto d = table.positive_duration("timeout_queue")) backend.timeout_queue = *d;
    backend.health = read_health(table);
    backend.protocol = read_protocol(table);

    std::map<std::string, int> server_lines;
    for (const TableReader& server : table.table_array("server", "[backend.server]")) {
      backend.servers.push_back(read_server(server, backend.name, server_lines));
    }
    if (backend.servers.empty() && !user_config()) {
      table.fail_here(fmt::format(
          "backend '{}' has no servers (add a [[backend.server]] after its [[backend]])",
          backend.name));
    }
    topology_.backends.push_back(std::move(backend));
  }

  static void read_check(const TableReader& backend, HealthCheck& check) {
    check.where = backend.value_position("check");
    const toml::node* node = backend.find("check");
    if (node == nullptr) return;
    if (const auto* enabled = node->as_boolean()) {
      check.enabled = enabled->get();
      return;
    }
    if (!node->is_table()) {
      backend.fail_type("check", "a table like { inter = \"2s\", path = \"/health\" } or false");
    }
    const auto table = backend.table("check", "[backend.check]");
    table->allow_only(kCheckKeys);
    if (const auto enabled = table->boolean("enabled")) check.enabled = *enabled;
    if (const auto type = table->one_of("type", kCheckTypes)) {
      check.kind = *type == "tcp" ? HealthCheck::Kind::kTcp : HealthCheck::Kind::kHttp;
    }
    if (const auto d = table->positive_duration("inter")) check.inter = *d;
    if (const auto d = table->positive_duration("fastinter")) check.fastinter = *d;
    if (const auto d = table->positive_duration("downinter")) check.downinter = *d;
    if (const auto d = table->positive_duration("timeout")) check.timeout = *d;
    if (const auto fall = table->integer_in("fall", 1)) check.fall = *fall;
    if (const auto rise = table->integer_in("rise", 1)) check.rise = *rise;
    if (auto path = table->string("path")) {
      if (check.kind == HealthCheck::Kind::kTcp) {
        table->fail("path",
                    "check path is only used by http checks (this check has type = \"tcp\")");
      }
      if (path->empty() || path->front() != '/') {
        table->fail("path", fmt::format("check path must start with '/', found \"{}\"", *path));
      }
      check.path = std::move(*path);
    }
  }

  Server read_server(const TableReader& table, const std::string& backend,
                     std::map<std::string, int>& server_lines) const {
    table.allow_only(kServerKeys);
    if (user_config()) {
      for (const auto key : kHaproxyServerKeys) {
        if (table.has(key)) {
          table.fail_at_key(
              key, fmt::format("'{}' is set by your haproxy config, not the topology", key));
        }
      }
    }
    Server server;
    server.where = table.position();
    server.name = read_name(table, "server");
    check_unique(table, server.name, server_lines, "server",
                 fmt::format(" in backend '{}'", backend));
    server.address = read_loopback_address(table);
    if (const auto capacity = table.number("capacity")) {
      if (*capacity <= 0) {
        table.fail("capacity", fmt::format("capacity must be greater than 0, found {}",
                                           describe_node(*table.find("capacity"))));
      }
      server.capacity = *capacity;
    }
    if (const auto weight = table.integer_in("weight", 0, kMaxWeight)) server.weight = *weight;
    if (const auto latency = table.duration("latency")) server.latency = *latency;
    if (const auto limit = table.integer_in("max_inflight", 1)) server.max_inflight = *limit;
    if (const auto overload = table.one_of("overload", kOverloads)) {
      server.overload = *parse_overload(*overload);
    }
    if (const auto maxconn = table.integer_in("maxconn", 1)) server.maxconn = *maxconn;
    if (const auto backup = table.boolean("backup")) server.backup = *backup;
    server.health = read_health(table);
    server.protocol = read_protocol(table);
    server.command = read_command(table);
    if (!server.command.empty()) {
      for (const auto key : kBuiltinOnlyServerKeys) {
        if (table.has(key)) {
          table.fail_at_key(key, fmt::format("'{}' only applies to the built-in backend; this "
                                             "server runs a command",
                                             key));
        }
      }
    }
    return server;
  }

  static std::vector<std::string> read_command(const TableReader& table) {
    const toml::node* node = table.find("command");
    if (node == nullptr) return {};
    std::vector<std::string> argv;
    if (const auto* text = node->as_string()) {
      argv = split_on_whitespace(text->get());
    } else if (node->is_array()) {
      argv = *table.string_array("command");
    } else {
      table.fail_type("command",
                      "a command: an array like [\"python3\", \"-m\", \"http.server\", \"{port}\"] "
                      "or a string");
    }
    if (argv.empty() || argv.front().empty()) {
      table.fail("command", "command must not be empty");
    }
    const bool names_port = std::any_of(argv.begin(), argv.end(), [](const std::string& arg) {
      return arg.find("{port}") != std::string::npos;
    });
    if (!names_port) {
      table.fail("command",
                 "command must contain \"{port}\": the harness chooses the port the server "
                 "listens on and substitutes it there");
    }
    return argv;
  }

  void read_frontends() {
    const auto tables = root_.table_array("frontend", "[frontend]");
    if (user_config() && !tables.empty()) {
      tables.front().fail_here(fmt::format("frontends come from your haproxy config {}",
                                           topology_.haproxy.config->string()));
    }
    std::map<std::string, int> frontend_lines;
    std::map<std::pair<std::string, int>, std::string> fixed_ports;
    for (const TableReader& table : tables) {
      table.allow_only(kFrontendKeys);
      Frontend frontend;
      frontend.where = table.position();
      frontend.name = read_name(table, "frontend");
      check_unique(table, frontend.name, frontend_lines, "frontend");
      frontend.backend = table.required_string("backend");
      if (topology_.find_backend(frontend.backend) == nullptr) {
        table.fail("backend", fmt::format("frontend {} names backend '{}' which is not defined "
                                          "(backends: {})",
                                          frontend.name, frontend.backend, backend_names()));
      }
      frontend.address = read_loopback_address(table);
      if (const auto port = table.integer_in("port", 0, kMaxPort)) frontend.port = *port;
      if (frontend.port != 0) {
        const auto [it, inserted] =
            fixed_ports.emplace(std::pair{frontend.address, frontend.port}, frontend.name);
        if (!inserted) {
          table.fail("port", fmt::format("port {} on {} is already used by frontend '{}'",
                                         frontend.port, frontend.address, it->second));
        }
      }
      if (const auto d = table.positive_duration("timeout_client")) frontend.timeout_client = *d;
      topology_.frontends.push_back(std::move(frontend));
    }
  }

  std::string backend_names() const {
    if (topology_.backends.empty()) return "none";
    std::string names;
    for (const Backend& backend : topology_.backends) {
      if (!names.empty()) names += ", ";
      names += backend.name;
    }
    return names;
  }

  void check_rendered_topology() const {
    if (topology_.backends.empty()) {
      root_.fail_here("the topology has no [[backend]]: add one with at least one "
                      "[[backend.server]]");
    }
    if (topology_.frontends.empty()) {
      root_.fail_here("the topology has no [[frontend]]: add one naming a backend, or set "
                      "[haproxy] config to use your own haproxy config");
    }
  }

  TableReader root_;
  fs::path directory_;
  Topology topology_;
  std::map<std::string, int> backend_lines_;
  bool ready_timeout_set_ = false;
};

}  // namespace

Topology load_topology(const std::filesystem::path& file) {
  const TomlFile toml = read_toml_file(file, "topology");
  return TopologyLoader(toml, file).load();
}

Topology parse_topology(std::string_view text, const std::filesystem::path& file) {
  const TomlFile toml = parse_toml(text, file.string());
  return TopologyLoader(toml, file).load();
}

}  // namespace lbchaos::topology
