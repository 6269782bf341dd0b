#include "harness/scenario/route_coverage.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace lbchaos::scenario {
namespace {

std::string backend_of(const std::string& server_key) {
  return server_key.substr(0, server_key.find('/'));
}

std::string none_line(std::size_t total, const std::vector<std::string>& missing,
                      std::string_view what) {
  if (missing.empty()) return fmt::format("all {} {} got traffic", total, what);
  return fmt::format("{} of {} {} got traffic: {} got none", total - missing.size(), total, what,
                     fmt::join(missing, ", "));
}

}  // namespace

std::map<std::string, std::uint64_t> RouteCoverage::backends() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [key, count] : servers) out[backend_of(key)] += count;
  return out;
}

std::vector<std::string> RouteCoverage::backends_without_traffic() const {
  std::vector<std::string> out;
  for (const auto& [name, count] : backends()) {
    if (count == 0) out.push_back(name);
  }
  return out;
}

std::vector<std::string> RouteCoverage::servers_without_traffic() const {
  std::vector<std::string> out;
  for (const auto& [key, count] : servers) {
    if (count == 0) out.push_back(key);
  }
  return out;
}

std::string RouteCoverage::summary() const {
  if (!measured()) return "not measured";
  std::string line = none_line(backends().size(), backends_without_traffic(), "backends") + "; " +
                     none_line(servers.size(), servers_without_traffic(), "servers");
  if (unattributed > 0) {
    line += fmt::format("; {} response(s) named no server", unattributed);
  }
  return line;
}

nlohmann::json RouteCoverage::to_json() const {
  if (!measured()) return nullptr;
  nlohmann::json per_backend = nlohmann::json::object();
  for (const auto& [name, count] : backends()) per_backend[name] = {{"requests", count}};
  for (const auto& [key, count] : servers) {
    per_backend[backend_of(key)]["servers"][key.substr(key.find('/') + 1)] = count;
  }
  return {{"source", source},
          {"backends", per_backend},
          {"backends_without_traffic", backends_without_traffic()},
          {"servers_without_traffic", servers_without_traffic()},
          {"unattributed", unattributed},
          {"summary", summary()}};
}

RouteCoverage coverage_from_records(const std::set<std::string>& server_keys,
                                    const std::vector<traffic::RequestRecord>& records,
                                    const traffic::ServerTable& table) {
  RouteCoverage coverage;
  coverage.source = "responses";
  for (const auto& key : server_keys) coverage.servers[key] = 0;
  for (const auto& record : records) {
    if (record.server != traffic::kUnknownServer) {
      ++coverage.servers[table.name(record.server)];
    } else if (record.error == traffic::ErrorClass::kNone) {
      ++coverage.unattributed;
    }
  }
  return coverage;
}

RouteCoverage coverage_from_totals(const std::set<std::string>& server_keys,
                                   const std::map<std::string, std::uint64_t>& totals) {
  RouteCoverage coverage;
  coverage.source = "haproxy stats";
  for (const auto& key : server_keys) coverage.servers[key] = 0;
  for (const auto& [key, count] : totals) coverage.servers[key] += count;
  return coverage;
}

}  // namespace lbchaos::scenario
