#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>

// Addresses the harness chose for one run: where each node listens and where each haproxy
// instance binds. The haproxy config (rendered or rewritten) is produced from these.
namespace lbchaos::topology {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 0;

  // "127.0.0.1:8080", or "[::1]:8080" for IPv6.
  [[nodiscard]] std::string to_string() const {
    return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                               : fmt::format("{}:{}", host, port);
  }
};

// One haproxy instance's own addresses.
struct InstanceEndpoints {
  int index = 0;                         // 0-based instance number
  std::filesystem::path stats_socket;    // admin stats socket (mode 600) in the run directory
  std::map<std::string, Endpoint> binds; // frontend bind key -> loopback address to bind
  Endpoint metrics;                      // Prometheus exporter
  Endpoint syslog;                       // harness UDP syslog receiver for this instance
};

// "backend/server" -> where the harness node for that server listens.
using ServerTargets = std::map<std::string, Endpoint>;

}  // namespace lbchaos::topology
