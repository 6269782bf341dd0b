#include "harness/topology/haproxy_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "harness/common/request_id.h"

namespace lbchaos::topology {
namespace {

constexpr std::string_view kIndent = "    ";
constexpr int kMinWeight = 1;
constexpr int kMaxWeight = 256;

// Text from the topology file (names, paths) goes into comments: keep it on one line.
std::string comment_text(std::string_view text) {
  std::string out(text);
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

const Endpoint& bind_of(const InstanceEndpoints& endpoints, const Frontend& frontend) {
  const auto it = endpoints.binds.find(frontend.name);
  if (it == endpoints.binds.end()) {
    throw std::logic_error(
        fmt::format("haproxy config: no bind address chosen for frontend '{}'", frontend.name));
  }
  return it->second;
}

const Endpoint& target_of(const ServerTargets& targets, const Backend& backend,
                          const Server& server) {
  const auto key = server_key(backend.name, server.name);
  const auto it = targets.find(key);
  if (it == targets.end()) {
    throw std::logic_error(fmt::format("haproxy config: no target address for server '{}'", key));
  }
  return it->second;
}

// "check inter 500ms fastinter 200ms downinter 1s fall 2 rise 2", or "" when checks are off.
std::string check_settings(const HealthCheck& check) {
  if (!check.enabled) return {};
  std::string out = fmt::format(" check inter {}", haproxy_duration(check.inter));
  if (check.fastinter) out += fmt::format(" fastinter {}", haproxy_duration(*check.fastinter));
  if (check.downinter) out += fmt::format(" downinter {}", haproxy_duration(*check.downinter));
  out += fmt::format(" fall {} rise {}", check.fall, check.rise);
  return out;
}

void append_global(std::string& out, const Topology& topology,
                   const InstanceEndpoints& endpoints) {
  out += "global\n";
  for (const auto& line : harness_global_lines(endpoints)) out += line + "\n";
  out += fmt::format("{}maxconn {}\n\n", kIndent, topology.haproxy.maxconn);
}

void append_defaults(std::string& out) {
  out += "defaults\n";
  for (const std::string_view line :
       {"mode http", "log global", "option httplog", "option log-health-checks",
        "option dontlognull", "timeout connect 5s", "timeout client 30s", "timeout server 30s",
        "timeout http-request 10s"}) {
    out += fmt::format("{}{}\n", kIndent, line);
  }
  out += "\n";
}

void append_frontend(std::string& out, const Frontend& frontend,
                     const InstanceEndpoints& endpoints) {
  out += fmt::format("frontend {}\n", frontend.name);
  out += fmt::format("{}bind {}\n", kIndent, bind_of(endpoints, frontend).to_string());
  out += fmt::format("{}timeout client {}\n", kIndent, haproxy_duration(frontend.timeout_client));
  for (const auto& line : request_log_lines(kIndent)) out += line + "\n";
  out += fmt::format("{}default_backend {}\n\n", kIndent, frontend.backend);
}

void append_backend(std::string& out, const Backend& backend, const ServerTargets& targets) {
  const HealthCheck& check = backend.check;
  out += fmt::format("backend {}\n", backend.name);
  out += fmt::format("{}balance {}\n", kIndent, backend.balance);
  if (!check.enabled) {
    out += fmt::format(
        "{}# health checks disabled by the topology: servers are never marked DOWN\n", kIndent);
  } else if (check.kind == HealthCheck::Kind::kHttp) {
    out += fmt::format("{}option httpchk GET {}\n", kIndent, check.path);
    out += fmt::format("{}http-check expect status 200\n", kIndent);
  } else {
    out += fmt::format("{}# TCP health checks: a connect is enough\n", kIndent);
  }
  if (check.enabled && check.timeout) {
    out += fmt::format("{}timeout check {}\n", kIndent, haproxy_duration(*check.timeout));
  }
  if (backend.redispatch) out += fmt::format("{}option redispatch\n", kIndent);
  out += fmt::format("{}retries {}\n", kIndent, backend.retries);
  if (!backend.retry_on.empty()) {
    out += fmt::format("{}retry-on {}\n", kIndent, fmt::join(backend.retry_on, " "));
  }
  out += fmt::format("{}timeout connect {}\n", kIndent, haproxy_duration(backend.timeout_connect));
  out += fmt::format("{}timeout server {}\n", kIndent, haproxy_duration(backend.timeout_server));
  out += fmt::format("{}timeout queue {}\n", kIndent, haproxy_duration(backend.timeout_queue));

  const std::string checks = check_settings(check);
  for (const Server& server : backend.servers) {
    std::string line = fmt::format("{}server {} {}{} weight {}", kIndent, server.name,
                                   target_of(targets, backend, server).to_string(), checks,
                                   haproxy_weight(server));
    if (server.maxconn) line += fmt::format(" maxconn {}", *server.maxconn);
    if (server.backup) line += " backup";
    if (!server.weight) {
      line += fmt::format("  # weight from capacity {}", server.capacity);
    }
    out += line + "\n";
  }
  out += "\n";
}

}  // namespace

int haproxy_weight(const Server& server) {
  if (server.weight) return *server.weight;
  const auto scaled = std::lround(server.capacity * 100.0);
  return static_cast<int>(std::clamp<long>(scaled, kMinWeight, kMaxWeight));
}

std::string instance_log_tag(int index) { return fmt::format("lbchaos-lb{}", index); }

std::vector<std::string> harness_global_lines(const InstanceEndpoints& endpoints) {
  return {
      fmt::format("{}stats socket {} mode 600 level admin expose-fd listeners", kIndent,
                  haproxy_word(endpoints.stats_socket.string())),
      fmt::format("{}stats timeout 30s", kIndent),
      fmt::format("{}log {} len 8192 format rfc5424 local0 info", kIndent,
                  endpoints.syslog.to_string()),
      fmt::format("{}log-tag {}", kIndent, instance_log_tag(endpoints.index)),
      // A production maxconn needs more file descriptors than a CI machine may allow; haproxy
      // then refuses to start unless told to warn instead (verified with maxconn 20000 under
      // ulimit -n 20000).
      fmt::format("{}no strict-limits", kIndent),
  };
}

std::vector<std::string> request_log_lines(std::string_view indent) {
  // req is escaped (+E): the header comes from the client. Proxy and server names cannot hold
  // '"', '\' or ']'.
  return {
      fmt::format("{}http-request set-var(txn.lbchaos_request) req.hdr({})", indent,
                  kRequestIdHeader),
      fmt::format("{}log-format-sd '[{} req=\"%{{+E}}[var(txn.lbchaos_request)]\" srv=\"%b/%s\" "
                  "tr=\"%Tr\"]'",
                  indent, kRequestLogSdId),
  };
}

std::vector<std::string> metrics_frontend_lines(const Endpoint& metrics) {
  return {
      "# lbchaos: Prometheus exporter scraped by the harness",
      "defaults lbchaos_metrics_defaults",
      fmt::format("{}mode http", kIndent),
      fmt::format("{}timeout client 30s", kIndent),
      fmt::format("{}timeout http-request 10s", kIndent),
      "frontend lbchaos_metrics",
      fmt::format("{}bind {}", kIndent, metrics.to_string()),
      fmt::format("{}no log", kIndent),
      fmt::format("{}http-request use-service prometheus-exporter if {{ path /metrics }}", kIndent),
      fmt::format("{}http-request return status 404", kIndent),
  };
}

std::string haproxy_word(std::string_view text) {
  if (text.find('$') != std::string_view::npos) {
    throw std::logic_error(
        fmt::format("haproxy config: '{}' contains '$', which haproxy expands", text));
  }
  if (text.empty()) return "''";
  const bool plain = std::none_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '#' || c == '"' || c == '\'' || c == '\\';
  });
  if (plain) return std::string(text);
  if (text.find('\'') == std::string_view::npos) return fmt::format("'{}'", text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string render_haproxy_config(const Topology& topology, const InstanceEndpoints& endpoints,
                                  const ServerTargets& targets) {
  std::string out;
  out += fmt::format("# haproxy.cfg rendered by lbchaos for topology '{}' ({}), instance {}.\n",
                     comment_text(topology.name), comment_text(topology.file.string()),
                     endpoints.index);
  out += "# haproxy runs in the foreground in master-worker mode (-W -db -S <master socket>).\n\n";
  append_global(out, topology, endpoints);
  append_defaults(out);
  for (const Frontend& frontend : topology.frontends) append_frontend(out, frontend, endpoints);
  for (const Backend& backend : topology.backends) append_backend(out, backend, targets);
  for (const auto& line : metrics_frontend_lines(endpoints.metrics)) out += line + "\n";
  return out;
}

}  // namespace lbchaos::topology
