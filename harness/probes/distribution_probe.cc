#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "harness/probes/families.h"
#include "harness/probes/probe_support.h"

namespace lbchaos::probes {
namespace {

struct ServerShare {
  std::string key;  // "app/web1"
  std::string name;  // "web1"
  double expected = 0;
  std::int64_t served = 0;
};

}  // namespace

// Shares of the successful requests served by the backend's servers, against the shares their
// capacities call for (from the topology, not from the config under test). Backup servers are
// expected to take nothing.
ProbeResult distribution(const Expectation& e, const RunRecording& run, const Topology& topology) {
  auto result = make_result(e, "ratio");
  if (topology.backends.empty()) {
    return cannot_judge(std::move(result), "the topology has no backend");
  }
  const topology::Backend* backend =
      e.target.empty() ? &topology.backends.front() : topology.find_backend(e.target);
  if (backend == nullptr) {
    return cannot_judge(std::move(result),
                        fmt::format("the topology has no backend named '{}'", e.target));
  }
  result.target = backend->name;
  const auto w = resolve_window(e.during, run);
  if (!w.range) return cannot_judge(std::move(result), w.why_none);

  double capacity = 0;
  for (const auto& s : backend->servers) {
    if (!s.backup) capacity += s.capacity;
  }
  if (capacity <= 0) {
    return cannot_judge(
        std::move(result),
        fmt::format("backend {} has no non-backup server with capacity", backend->name));
  }
  std::vector<ServerShare> shares;
  for (const auto& s : backend->servers) {
    shares.push_back({topology::server_key(backend->name, s.name), s.name,
                      s.backup ? 0.0 : s.capacity / capacity, 0});
  }
  // Servers records name in this backend that the topology does not list are expected to get 0.
  const std::string prefix = backend->name + "/";
  std::vector<std::size_t> share_of_id(run.servers.size(), shares.size());
  for (std::size_t id = 0; id < run.servers.size(); ++id) {
    const std::string& key = run.servers.name(static_cast<std::uint16_t>(id));
    if (key.rfind(prefix, 0) != 0) continue;
    std::size_t i = 0;
    while (i < shares.size() && shares[i].key != key) ++i;
    if (i == shares.size()) shares.push_back({key, key.substr(prefix.size()), 0.0, 0});
    share_of_id[id] = i;
  }

  std::int64_t total = 0;
  std::int64_t unattributed = 0;
  for (const auto& r : run.records) {
    if (!w.range->contains(r.intended_ns) || !r.ok()) continue;
    if (r.server >= share_of_id.size()) {
      ++unattributed;
    } else if (share_of_id[r.server] < shares.size()) {
      ++shares[share_of_id[r.server]].served;
      ++total;
    }
  }
  const std::string unnamed =
      unattributed == 0 ? "" : fmt::format(" (and {})", unknown_servers(unattributed));
  if (total < e.min_samples) {
    return cannot_judge(
        std::move(result),
        fmt::format("only {} successful requests in the {} window were served by {}{}; "
                    "distribution needs at least {}",
                    total, scenario::to_string(e.during), backend->name, unnamed, e.min_samples));
  }
  double worst = 0;
  std::string listing;
  for (const auto& s : shares) {
    const double share = static_cast<double>(s.served) / static_cast<double>(total);
    worst = std::max(worst, std::abs(share - s.expected));
    if (!listing.empty()) listing += ", ";
    listing += fmt::format("{} {:.1f}% (expected {:.1f}%)", s.name, share * 100, s.expected * 100);
  }
  auto detail = fmt::format("over {} successful requests to {} in the {} window{}: {}", total,
                            backend->name, scenario::to_string(e.during), unnamed, listing);
  return judge(std::move(result), worst, std::move(detail));
}

}  // namespace lbchaos::probes
