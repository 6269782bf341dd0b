#include "harness/topology/slo_loader.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace lbchaos::topology {
namespace {

constexpr std::array<std::string_view, 11> kSloKeys{
    "availability", "p99_latency", "detection", "failover",     "recovery",          "distribution",
    "rate",         "peak_rate",   "clients",   "service_time", "server_concurrency"};
constexpr int kMaxClients = 65000;

}  // namespace

Slo read_slo(const TableReader& root) {
  Slo slo;
  slo.where = root.position();
  const auto table = root.table("slo", "[slo]");
  if (!table) return slo;
  table->allow_only(kSloKeys);
  slo.where = table->position();
  if (const auto ratio = table->percentage("availability")) slo.availability = *ratio;
  if (const auto ratio = table->percentage("distribution")) slo.distribution = *ratio;
  if (const auto d = table->positive_duration("p99_latency")) slo.p99_latency = *d;
  if (const auto d = table->positive_duration("detection")) slo.detection = *d;
  if (const auto d = table->positive_duration("failover")) slo.failover = *d;
  if (const auto d = table->positive_duration("recovery")) slo.recovery = *d;
  if (const auto d = table->positive_duration("service_time")) slo.service_time = *d;
  const auto rate = [&](std::string_view key, double& into) {
    if (const auto value = table->number(key)) {
      if (*value <= 0) table->fail(key, fmt::format("{} must be greater than 0", key));
      into = *value;
    }
  };
  rate("rate", slo.rate);
  rate("peak_rate", slo.peak_rate);
  if (slo.peak_rate < slo.rate) {
    table->fail_here(
        fmt::format("peak_rate ({}) must be at least rate ({})", slo.peak_rate, slo.rate));
  }
  if (const auto clients = table->integer_in("clients", 1, kMaxClients)) slo.clients = *clients;
  if (const auto n = table->integer_in("server_concurrency", 1)) {
    slo.server_concurrency = *n;
    slo.server_concurrency_set = true;
  }
  return slo;
}

Slo load_slo(const std::filesystem::path& topology_file) {
  const TomlFile toml = read_toml_file(topology_file, "topology");
  return read_slo(TableReader(toml.root, toml.file, "the topology file"));
}

}  // namespace lbchaos::topology
