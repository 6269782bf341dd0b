#include "harness/probes/registry.h"

#include <array>

#include "harness/probes/families.h"

namespace lbchaos::probes {
namespace {

using scenario::kBackend;
using scenario::kInstance;
using scenario::kServer;

// Adapts a probe that does not read the topology to the registry's signature.
template <ProbeResult (*Probe)(const Expectation&, const RunRecording&)>
ProbeResult without_topology(const Expectation& e, const RunRecording& run, const Topology&) {
  return Probe(e, run);
}

constexpr std::array<ProbeInfo, 10> kProbes{{
    {.name = "availability", .threshold = Threshold::kRatio, .windowed = true,
     .evaluate = &without_topology<&availability>,
     .summary = "share of requests due in the window that succeeded"},
    {.name = "latency", .threshold = Threshold::kDuration, .windowed = true,
     .evaluate = &without_topology<&latency_percentile>,
     .summary = "a percentile of the successful requests' latency"},
    {.name = "error_count", .threshold = Threshold::kCount, .windowed = true,
     .evaluate = &without_topology<&error_count>, .summary = "failed requests in the window"},
    {.name = "failover_time", .threshold = Threshold::kDuration, .targets = kServer,
     .target_required = true, .needs_fault = true, .evaluate = &without_topology<&failover_time>,
     .summary = "from the fault to the last request sent to the dead server"},
    {.name = "recovery_time", .threshold = Threshold::kDuration, .targets = kServer,
     .target_required = true, .needs_fault = true, .evaluate = &without_topology<&recovery_time>,
     .summary = "from the heal to the first request the server answers"},
    {.name = "detection_time", .threshold = Threshold::kDuration, .targets = kServer,
     .target_required = true, .needs_fault = true, .evaluate = &detection_time,
     .summary = "from the fault to haproxy marking the server DOWN"},
    {.name = "distribution", .threshold = Threshold::kRatio, .targets = kBackend,
     .windowed = true, .evaluate = &distribution,
     .summary = "largest deviation of a server's share from its weight's share"},
    {.name = "reload_rejected", .needs_fault = true, .fault_effect = scenario::kConfigChange,
     .evaluate = &without_topology<&reload_rejected>,
     .summary = "haproxy refused the bad config and the old worker kept serving"},
    {.name = "mttr", .threshold = Threshold::kDuration, .targets = kInstance, .needs_fault = true,
     .fault_effect = scenario::kLbOutage, .evaluate = &without_topology<&mttr>,
     .summary = "from losing the LB to the first successful request after it"},
    {.name = "alert", .targets = kServer | kInstance, .windowed = true,
     .evaluate = &without_topology<&alert>,
     .summary = "an alert rule fires, resolves, stays silent or is delivered in time"},
}};

}  // namespace

std::span<const ProbeInfo> probe_catalogue() { return kProbes; }

const ProbeInfo* find_probe(std::string_view name) {
  for (const ProbeInfo& probe : kProbes) {
    if (probe.name == name) return &probe;
  }
  return nullptr;
}

std::vector<std::string_view> probe_names() {
  std::vector<std::string_view> names;
  for (const ProbeInfo& probe : kProbes) names.push_back(probe.name);
  return names;
}

}  // namespace lbchaos::probes
