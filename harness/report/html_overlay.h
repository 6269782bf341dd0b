#pragma once

#include <string>

#include <nlohmann/json.hpp>

// Two runs of the same scenario drawn over each other on the same axes: the validation page's
// baseline against candidate. Three panels share one time axis (seconds from the start of
// traffic): successful requests/s, availability per bucket (%) and p99 latency (log scale);
// each panel holds both runs as two series (class "series-baseline" / "series-candidate",
// data-series and data-panel attributes), with the candidate's fault windows shaded and a
// legend naming both.
namespace lbchaos::report {

struct OverlayRun {
  const nlohmann::json& scenario;  // an entry of a journal's "scenarios"
  std::string label;               // "baseline current.cfg"
};

// `id`: unique on the page (the figure is id="overlay-<id>").
[[nodiscard]] std::string overlay_figure(const OverlayRun& baseline, const OverlayRun& candidate,
                                         const std::string& id);

}  // namespace lbchaos::report
