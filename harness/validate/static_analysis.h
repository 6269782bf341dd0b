#pragma once

#include <vector>

#include "harness/topology/model.h"
#include "harness/topology/slo.h"
#include "harness/validate/finding.h"
#include "harness/validate/haproxy_config.h"

// Stage 2 of `lbchaos validate`: the user's config read against the SLOs and the servers'
// description (capacity, service time, concurrency limit, health endpoint), without running
// anything. `topology` is the run topology: every server of the config described (validate
// fills in the defaults for the ones the user's topology does not mention) and its number of
// haproxy instances; `slo` its [slo] table.
namespace lbchaos::validate {

// Findings ordered by line.
[[nodiscard]] std::vector<Finding> analyse(const HaproxyConfig& config,
                                           const topology::Topology& topology,
                                           const topology::Slo& slo);

// The share of a backend's requests each server should get from the config alone
// (balance, weights, backup), in the order of `backend.servers`; all zero when nothing can
// serve. `first` and hash algorithms are approximated by weights.
[[nodiscard]] std::vector<double> expected_shares(const Proxy& backend);

// The health-check settings haproxy applies to `server`, in the topology's terms (for the
// detection and recovery predictions of probes/detection_prediction.h).
[[nodiscard]] topology::HealthCheck health_check_of(const Proxy& backend, const ServerDecl& server);

}  // namespace lbchaos::validate
