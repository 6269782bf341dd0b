#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/report/html_downsample.h"
#include "harness/report/html_svg.h"

// The timeline figure of one journal scenario: a single inline SVG whose panels share one time
// axis (seconds from the start of traffic) -- throughput by outcome, latency p50/p99 (log scale),
// one lane per server (haproxy's state and its share of traffic), alert lanes and reload
// markers -- with every fault window shaded once across all panels. Elements carry data-
// attributes (data-fault, data-server, data-state, data-from-s, data-to-s) for tests and the
// hover read-out, whose per-column data follows the SVG as a JSON <script> block.
namespace lbchaos::report {

[[nodiscard]] std::string scenario_figure(const nlohmann::json& scenario, int index);

// The pieces the figure is drawn with, for other charts on the same page (the validation
// page's baseline-against-candidate overlay): one geometry, one time axis, one way to shade
// faults and to label values.
inline constexpr double kFigureWidth = 1000;
inline constexpr double kPlotLeft = 170;
inline constexpr double kPlotRight = 950;
inline constexpr double kFaultLabelBand = 34;  // two rows of fault labels above the charts

// How long the charts of a journal scenario run: the planned traffic, or the timeline if that
// ran longer.
[[nodiscard]] double end_seconds(const nlohmann::json& scenario,
                                 const std::vector<ChartColumn>& columns);
// Ticks and the title under the plot, at `y`.
void draw_time_axis(SvgBuilder& svg, const Scale& x, double end_s, double y);
// Every fault of the scenario once, shaded from `top` to `bottom`, labelled in the band above.
void draw_fault_windows(SvgBuilder& svg, const nlohmann::json& scenario, const Scale& x,
                        double end_s, double top, double bottom);
// Horizontal grid lines with their labels left of the plot, and the axis title above it.
void draw_y_grid(SvgBuilder& svg, const Scale& y, int ticks, double top, std::string_view title,
                 std::string (*label)(double));
[[nodiscard]] std::string rate_label(double per_s);     // "1.5k"
[[nodiscard]] std::string latency_label(double s);      // "20 ms"

}  // namespace lbchaos::report
