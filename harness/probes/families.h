#pragma once

#include "harness/probes/probe.h"

// One function per probe, grouped by family in their own files; registry.cc declares each
// probe with its function. Internal to harness/probes.
namespace lbchaos::probes {

using scenario::Expectation;
using scenario::RunRecording;
using topology::Topology;

// traffic_probes.cc: over the requests due in the window.
[[nodiscard]] ProbeResult availability(const Expectation& e, const RunRecording& run);
[[nodiscard]] ProbeResult latency_percentile(const Expectation& e, const RunRecording& run);
[[nodiscard]] ProbeResult error_count(const Expectation& e, const RunRecording& run);

// failover_probes.cc: a server's fault against the requests and haproxy's view of it.
[[nodiscard]] ProbeResult failover_time(const Expectation& e, const RunRecording& run);
[[nodiscard]] ProbeResult recovery_time(const Expectation& e, const RunRecording& run);
[[nodiscard]] ProbeResult detection_time(const Expectation& e, const RunRecording& run,
                                         const Topology& topology);

// distribution_probe.cc
[[nodiscard]] ProbeResult distribution(const Expectation& e, const RunRecording& run,
                                       const Topology& topology);

// reload_probe.cc
[[nodiscard]] ProbeResult reload_rejected(const Expectation& e, const RunRecording& run);

// mttr_probe.cc
[[nodiscard]] ProbeResult mttr(const Expectation& e, const RunRecording& run);

// alert_probe.cc: over the alert engine's events (fires_within, resolves_within, silent,
// delivered_within).
[[nodiscard]] ProbeResult alert(const Expectation& e, const RunRecording& run);

}  // namespace lbchaos::probes
