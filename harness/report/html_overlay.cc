#include "harness/report/html_overlay.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "harness/report/html_downsample.h"
#include "harness/report/html_figure.h"
#include "harness/report/html_svg.h"

namespace lbchaos::report {

namespace {

using nlohmann::json;

constexpr double kPanelHeight = 110;
constexpr double kPanelGap = 36;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Series {
  std::string name;  // "baseline" / "candidate"
  std::vector<ChartColumn> columns;
  double bucket_s = 0.1;
};

Series series_of(const json& scenario, std::string name) {
  json timeline = json::object();
  if (const auto t = scenario.find("timeline"); t != scenario.end() && t->is_object()) timeline = *t;
  Series s;
  s.name = std::move(name);
  s.bucket_s = timeline.value("bucket_s", 0.1);
  s.columns = downsample(timeline, static_cast<std::size_t>(kPlotRight - kPlotLeft));
  return s;
}

double ok_per_s(const ChartColumn& c, double bucket_s) { return c.ok / bucket_s; }

double availability_percent(const ChartColumn& c, double) {
  double errors = 0;
  for (const double e : c.errors) errors += e;
  const double answered = c.ok + errors;
  return answered > 0 ? 100 * c.ok / answered : kNaN;
}

double p99_s(const ChartColumn& c, double) { return c.p99_s && *c.p99_s > 0 ? *c.p99_s : kNaN; }

std::string percent_label(double v) { return fmt::format("{:g}%", v); }

struct Panel {
  const char* id;     // data-panel
  const char* title;  // above the axis
  double (*value)(const ChartColumn&, double bucket_s);
  std::string (*label)(double);
};

constexpr std::array<Panel, 3> kPanels{{
    {"throughput", "ok requests/s", &ok_per_s, &rate_label},
    {"availability", "availability", &availability_percent, &percent_label},
    {"p99", "p99 latency (log)", &p99_s, &latency_label},
}};

// The panel's y scale over both series.
Scale y_scale(const Panel& panel, const std::array<Series, 2>& series, double top) {
  const double bottom = top + kPanelHeight;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : series) {
    for (const auto& c : s.columns) {
      const double v = panel.value(c, s.bucket_s);
      if (std::isnan(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  const std::string_view id = panel.id;
  if (id == "p99") {
    if (!(hi > 0)) {
      lo = 1e-4;
      hi = 1e-1;
    }
    return Scale(std::pow(10.0, std::floor(std::log10(lo))),
                 std::pow(10.0, std::ceil(std::log10(hi))), bottom, top, true);
  }
  if (id == "availability") {
    // Room below the worst bucket, in steps of ten points; at least 90-100.
    const double floor_at = std::isfinite(lo) ? std::min(90.0, std::floor(lo / 10) * 10) : 90;
    return Scale(floor_at, 100, bottom, top);
  }
  return Scale(0, std::max(1.0, std::isfinite(hi) ? hi : 1.0) * 1.08, bottom, top);
}

void draw_panel(SvgBuilder& svg, const Panel& panel, const std::array<Series, 2>& series,
                const Scale& x, double top) {
  const Scale y = y_scale(panel, series, top);
  draw_y_grid(svg, y, 4, top, panel.title, panel.label);
  for (const auto& s : series) {
    std::vector<std::pair<double, double>> points;
    points.reserve(s.columns.size());
    for (const auto& c : s.columns) {
      const double v = panel.value(c, s.bucket_s);
      points.emplace_back((x(c.from_s) + x(c.to_s)) / 2, std::isnan(v) ? kNaN : y(v));
    }
    svg.open("g", fmt::format("data-series=\"{}\" data-panel=\"{}\"", s.name, panel.id));
    svg.polyline(points, "line series-" + s.name);
    svg.close("g");
  }
  svg.line(kPlotLeft, top + kPanelHeight, kPlotRight, top + kPanelHeight, "axis");
}

}  // namespace

std::string overlay_figure(const OverlayRun& baseline, const OverlayRun& candidate,
                           const std::string& id) {
  const std::array<Series, 2> series{series_of(baseline.scenario, "baseline"),
                                     series_of(candidate.scenario, "candidate")};
  const double end_s = std::max(end_seconds(baseline.scenario, series[0].columns),
                                end_seconds(candidate.scenario, series[1].columns));
  const Scale x(0, end_s, kPlotLeft, kPlotRight);

  SvgBuilder body;
  const double charts_top = kFaultLabelBand + 12;
  double top = charts_top;
  for (const auto& panel : kPanels) {
    draw_panel(body, panel, series, x, top);
    top += kPanelHeight + kPanelGap;
  }
  const double bottom = top - kPanelGap + 8;
  draw_time_axis(body, x, end_s, bottom);
  SvgBuilder faults;  // over the data, translucent
  draw_fault_windows(faults, candidate.scenario, x, end_s, charts_top - 6, bottom);

  const double height = bottom + 42;
  return fmt::format(
      "<div class=\"overlay\" id=\"overlay-{0}\"><svg class=\"timeline\" viewBox=\"0 0 {1} {2}\" "
      "width=\"{1}\" height=\"{2}\" role=\"img\" aria-label=\"baseline and candidate on the same "
      "axes\">{3}{4}</svg><div class=\"legend\"><span><i class=\"sw-baseline\"></i>{5}</span>"
      "<span><i class=\"sw-candidate\"></i>{6}</span><span><i style=\"background:rgba(214,60,50,"
      ".18)\"></i>fault window (candidate's run)</span></div></div>\n",
      html_escape(id), px(kFigureWidth), px(height), body.markup(), faults.markup(),
      html_escape(baseline.label), html_escape(candidate.label));
}

}  // namespace lbchaos::report
