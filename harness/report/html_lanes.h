#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/report/html_downsample.h"
#include "harness/report/html_svg.h"

// The lanes under the timeline charts: a lane per server (haproxy's view of it and its share of
// traffic), a lane per alert instance (pending / firing / resolved) and one for reloads.
namespace lbchaos::report {

struct StateSpan {
  std::string state;  // UP, DOWN, DRAIN, MAINT, NOLB (as the journal's haproxy events say)
  double from_s = 0;
  double to_s = 0;
};

// Where a lane is drawn: x maps seconds to pixels; labels go left of `plot_left`.
struct LaneFrame {
  const Scale& x;
  double label_left = 0;
  double plot_left = 0;
  double plot_right = 0;
  double end_s = 0;
};

// The server's states from the first haproxy instance that reported on it, from 0 to `end_s`.
// Before its first event a server is taken as UP (haproxy starts servers UP unless told).
[[nodiscard]] std::vector<StateSpan> server_state_spans(const nlohmann::json& haproxy_events,
                                                        const std::string& server, double end_s);

// Every server lane; returns the y below the last one.
double draw_server_lanes(SvgBuilder& svg, const nlohmann::json& scenario,
                         const std::vector<ChartColumn>& columns, const LaneFrame& frame,
                         double top);
// Every alert lane and the reload lane (when there are any); returns the y below the last one.
double draw_alert_and_reload_lanes(SvgBuilder& svg, const nlohmann::json& scenario,
                                   const LaneFrame& frame, double top);

// The servers a scenario's lanes show: the timeline's, then any only haproxy's events name.
[[nodiscard]] std::vector<std::string> lane_servers(const nlohmann::json& scenario);

}  // namespace lbchaos::report
