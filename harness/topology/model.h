#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/duration.h"
#include "harness/common/errors.h"

// What a topology file describes: haproxy instance(s), frontends, backends (pools) and their
// servers (nodes). Loaded by topology/loader.h; everything here has already been validated.
namespace lbchaos::topology {

using namespace std::chrono_literals;

struct HealthCheck {
  enum class Kind { kHttp, kTcp };

  bool enabled = true;
  Kind kind = Kind::kHttp;
  Duration inter = 2s;
  std::optional<Duration> fastinter;
  std::optional<Duration> downinter;
  std::optional<Duration> timeout;  // haproxy "timeout check"
  int fall = 3;
  int rise = 2;
  std::string path = "/health";  // http checks only
  SourcePosition where;
};

// What a built-in backend does when more than max_inflight requests are in progress.
enum class OverloadBehaviour { kQueue, kReject, kCrash };

struct Server {
  std::string name;
  std::string address = "127.0.0.1";  // loopback address the node listens on
  double capacity = 1.0;              // relative; expected traffic share is proportional to it
  std::optional<int> weight;          // haproxy weight; rendered from capacity when absent
  Duration latency = 1ms;             // built-in backend service time
  int max_inflight = 64;              // built-in backend concurrency limit
  OverloadBehaviour overload = OverloadBehaviour::kQueue;
  std::optional<int> maxconn;         // haproxy per-server maxconn (queueing at the LB)
  bool backup = false;
  // Empty: the built-in backend. Otherwise a command backend: argv with "{port}" (and
  // optionally "{address}") substituted, run in the topology file's directory.
  std::vector<std::string> command;
  SourcePosition where;

  [[nodiscard]] bool is_builtin() const { return command.empty(); }
};

struct Backend {
  std::string name;
  std::string balance = "roundrobin";
  HealthCheck check;
  bool redispatch = true;
  int retries = 3;
  std::vector<std::string> retry_on;  // haproxy retry-on keywords; empty = haproxy's default
  Duration timeout_connect = 2s;
  Duration timeout_server = 10s;
  Duration timeout_queue = 5s;
  std::vector<Server> servers;
  SourcePosition where;
};

struct Frontend {
  std::string name;
  std::string backend;
  std::string address = "127.0.0.1";
  int port = 0;  // 0 = an ephemeral port chosen per run (so two runs never collide)
  Duration timeout_client = 30s;
  SourcePosition where;
};

struct HaproxySettings {
  int instances = 1;
  // The user's own haproxy.cfg (absolute path). When set, frontends and backend settings come
  // from that file; [[backend.server]] entries only describe the nodes behind its servers.
  std::optional<std::filesystem::path> config;
  SourcePosition config_where;
  std::string binary = "haproxy";
  Duration ready_timeout = 15s;  // every server UP in haproxy's stats within this
  int maxconn = 4096;
  SourcePosition where;
};

// How the team's alerts are evaluated during a run (the `alert` probe). The embedded engine
// needs nothing but haproxy; the prometheus engine runs the team's PromQL rules in a real
// Prometheus (and optionally Alertmanager) started as nodes of the run.
struct AlertingSettings {
  enum class Engine { kEmbedded, kPrometheus };

  Engine engine = Engine::kEmbedded;
  // Absolute paths. Embedded: TOML rule files; prometheus: Prometheus rule files (YAML).
  // Empty: the default rules shipped with lbchaos (alerts/).
  std::vector<std::filesystem::path> rules;
  std::vector<SourcePosition> rules_where;  // where each rules entry was written
  Duration scrape_interval = 1s;            // haproxy's exporter and the blackbox checks
  bool alertmanager = false;                // prometheus engine: route alerts to a webhook
  std::string prometheus_binary = "prometheus";
  std::string promtool_binary = "promtool";
  std::string alertmanager_binary = "prometheus-alertmanager";
  SourcePosition where;
};

struct Topology {
  std::string name;
  std::filesystem::path file;  // absolute path of the topology file
  HaproxySettings haproxy;
  AlertingSettings alerting;
  std::vector<Backend> backends;
  std::vector<Frontend> frontends;

  [[nodiscard]] bool uses_user_config() const { return haproxy.config.has_value(); }
  [[nodiscard]] const Backend* find_backend(std::string_view backend_name) const;
  [[nodiscard]] const Server* find_server(std::string_view backend, std::string_view server) const;
};

// "app/web1": how nodes, haproxy and the journal name a server.
[[nodiscard]] std::string server_key(std::string_view backend, std::string_view server);

[[nodiscard]] std::string_view to_string(OverloadBehaviour behaviour);
[[nodiscard]] std::optional<OverloadBehaviour> parse_overload(std::string_view text);

}  // namespace lbchaos::topology
