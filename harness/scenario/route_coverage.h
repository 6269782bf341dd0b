#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "harness/traffic/request_record.h"

// Route coverage (the idea of Envoy's route-check tool): which backends and servers of the run
// received traffic and which received none, so a request mix that misses a route is visible.
namespace lbchaos::scenario {

struct RouteCoverage {
  // Where the counts come from: "responses" (X-Lbchaos-Server / haproxy's log per request),
  // "haproxy stats" (lbtot: TCP traffic has no per-request attribution); empty: not measured.
  std::string source;
  // Requests per server ("backend/server"), every server of the run included (0 = none).
  std::map<std::string, std::uint64_t> servers;
  std::uint64_t unattributed = 0;  // responses no server was named for (haproxy's own 503s...)

  [[nodiscard]] bool measured() const { return !source.empty(); }
  // Requests per backend, every backend of the run included.
  [[nodiscard]] std::map<std::string, std::uint64_t> backends() const;
  [[nodiscard]] std::vector<std::string> backends_without_traffic() const;
  [[nodiscard]] std::vector<std::string> servers_without_traffic() const;
  // "3 of 5 backends got traffic: c1dev, c2b1 got none; 7 of 9 servers got traffic: ..."
  [[nodiscard]] std::string summary() const;
  [[nodiscard]] nlohmann::json to_json() const;
};

// From the records: each request counts for the server that answered it.
[[nodiscard]] RouteCoverage coverage_from_records(const std::set<std::string>& server_keys,
                                                  const std::vector<traffic::RequestRecord>& records,
                                                  const traffic::ServerTable& table);

// From per-server totals (haproxy's lbtot, summed over instances).
[[nodiscard]] RouteCoverage coverage_from_totals(const std::set<std::string>& server_keys,
                                                 const std::map<std::string, std::uint64_t>& totals);

}  // namespace lbchaos::scenario
