#pragma once

#include <string>

#include <nlohmann/json.hpp>

// The timeline figure of one journal scenario: a single inline SVG whose panels share one time
// axis (seconds from the start of traffic) -- throughput by outcome, latency p50/p99 (log scale),
// one lane per server (haproxy's state and its share of traffic), alert lanes and reload
// markers -- with every fault window shaded once across all panels. Elements carry data-
// attributes (data-fault, data-server, data-state, data-from-s, data-to-s) for tests and the
// hover read-out, whose per-column data follows the SVG as a JSON <script> block.
namespace lbchaos::report {

[[nodiscard]] std::string scenario_figure(const nlohmann::json& scenario, int index);

}  // namespace lbchaos::report
