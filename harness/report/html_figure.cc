#include "harness/report/html_figure.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/report/html_downsample.h"
#include "harness/report/html_lanes.h"
#include "harness/report/html_svg.h"

namespace lbchaos::report {

namespace {

using nlohmann::json;

constexpr double kThroughputHeight = 150;
constexpr double kLatencyHeight = 110;
constexpr double kPanelGap = 36;

double number_or(const json& j, const char* key, double fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

void draw_throughput(SvgBuilder& svg, const std::vector<ChartColumn>& columns, const Scale& x,
                     double bucket_s, double top) {
  const double bottom = top + kThroughputHeight;
  double max_rate = 1;
  for (const auto& c : columns) {
    double stack = c.ok;
    for (const double e : c.errors) stack += e;
    max_rate = std::max(max_rate, stack / bucket_s);
  }
  const Scale y(0, max_rate * 1.08, bottom, top);
  draw_y_grid(svg, y, 4, top, "requests/s", &rate_label);
  // One path per outcome: successes at the bottom, each error class stacked above.
  std::vector<std::string> paths(1 + kErrorClasses.size());
  for (const auto& c : columns) {
    // A little overlap, so dense columns do not show seams between them.
    const double x0 = x(c.from_s), w = std::max(x(c.to_s) - x0, 0.6) + 0.3;
    double base = 0;
    const auto stack = [&](std::string& path, double count) {
      if (count <= 0) return;
      const double y0 = y((base + count) / bucket_s), y1 = y(base / bucket_s);
      path += fmt::format("M{} {}h{}v{}h-{}z", px(x0), px(y0), px(w), px(y1 - y0), px(w));
      base += count;
    };
    stack(paths[0], c.ok);
    for (std::size_t k = 0; k < kErrorClasses.size(); ++k) stack(paths[k + 1], c.errors[k]);
  }
  for (std::size_t k = 0; k < paths.size(); ++k) {
    if (paths[k].empty()) continue;
    const std::string name = k == 0 ? "ok" : kErrorClasses[k - 1];
    svg.raw(fmt::format("<path d=\"{}\" class=\"bar bar-{}\" data-outcome=\"{}\"/>", paths[k], name,
                        name));
  }
  svg.line(kPlotLeft, bottom, kPlotRight, bottom, "axis");
}

void draw_latency(SvgBuilder& svg, const std::vector<ChartColumn>& columns, const Scale& x,
                  double top) {
  const double bottom = top + kLatencyHeight;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const auto& c : columns) {
    for (const auto& v : {c.p50_s, c.p99_s}) {
      if (!v || *v <= 0) continue;
      lo = std::min(lo, *v);
      hi = std::max(hi, *v);
    }
  }
  if (hi <= 0) {
    lo = 1e-4;
    hi = 1e-1;
  }
  const Scale y(std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi))),
                bottom, top, true);
  draw_y_grid(svg, y, 4, top, "latency (log)", &latency_label);
  const auto series = [&](auto member, const char* css_class) {
    std::vector<std::pair<double, double>> points;
    for (const auto& c : columns) {
      const auto& v = c.*member;
      points.emplace_back((x(c.from_s) + x(c.to_s)) / 2,
                          v ? y(*v) : std::numeric_limits<double>::quiet_NaN());
    }
    svg.polyline(points, css_class);
  };
  series(&ChartColumn::p99_s, "line p99");
  series(&ChartColumn::p50_s, "line p50");
  svg.text(kPlotRight - 90, top + 12, "p99", "legend-p99");
  svg.text(kPlotRight - 50, top + 12, "p50", "legend-p50");
  svg.line(kPlotLeft, bottom, kPlotRight, bottom, "axis");
}

void draw_abort(SvgBuilder& svg, const json& scenario, const Scale& x, double top, double bottom) {
  const auto it = scenario.find("aborted");
  if (it == scenario.end() || !it->is_object()) return;
  const double t = number_or(*it, "at_s", 0);
  svg.line(x(t), top, x(t), bottom, "abort-line");
  svg.text(x(t) - 3, bottom - 4, "aborted", "abort-label", "end");
}

double rounded(double v, double step) { return std::round(v / step) * step; }

// The per-column numbers the hover read-out shows, as compact JSON.
std::string columns_json(const std::vector<ChartColumn>& columns, const json& scenario,
                         double bucket_s, double end_s) {
  json cols = json::array();
  for (const auto& c : columns) {
    json errors = json::array();
    for (const double e : c.errors) errors.push_back(rounded(e, 0.01));
    json shares = json::array();
    for (const double s : c.server_share) shares.push_back(rounded(s, 0.001));
    cols.push_back({rounded(c.from_s, 0.001), rounded(c.to_s, 0.001), rounded(c.sent, 0.01),
                    rounded(c.ok, 0.01), errors,
                    c.p50_s ? json(rounded(*c.p50_s, 1e-6)) : json(nullptr),
                    c.p99_s ? json(rounded(*c.p99_s, 1e-6)) : json(nullptr), shares});
  }
  json servers = json::array();
  if (const auto t = scenario.find("timeline"); t != scenario.end() && t->contains("servers")) {
    servers = (*t)["servers"];
  }
  json data{{"bucket_s", bucket_s}, {"end_s", end_s}, {"x0", kPlotLeft}, {"x1", kPlotRight},
            {"errors", kErrorClasses}, {"servers", servers}, {"columns", cols}};
  std::string text = data.dump();
  // Keep "</script>" out of the block.
  for (std::size_t pos = 0; (pos = text.find("</", pos)) != std::string::npos; pos += 3) {
    text.replace(pos, 2, "<\\/");
  }
  return text;
}

}  // namespace

double end_seconds(const json& scenario, const std::vector<ChartColumn>& columns) {
  double end = 0;
  if (const auto s = scenario.find("scenario"); s != scenario.end()) {
    if (const auto t = s->find("traffic"); t != s->end()) end = number_or(*t, "duration_s", 0);
  }
  if (!columns.empty()) end = std::max(end, columns.back().to_s);
  return end > 0 ? end : 1.0;
}

std::string rate_label(double per_s) {
  if (per_s >= 1000) return fmt::format("{:g}k", per_s / 1000);
  return fmt::format("{:g}", per_s);
}

std::string latency_label(double s) {
  if (s >= 1) return fmt::format("{:g} s", s);
  if (s >= 1e-3) return fmt::format("{:g} ms", s * 1e3);
  return fmt::format("{:g} µs", s * 1e6);
}

void draw_y_grid(SvgBuilder& svg, const Scale& y, int ticks, double top, std::string_view title,
                 std::string (*label)(double)) {
  svg.text(kPlotLeft - 6, top - 8, title, "axis-title", "end");
  for (const double t : y.ticks(ticks)) {
    svg.line(kPlotLeft, y(t), kPlotRight, y(t), "grid");
    svg.text(kPlotLeft - 6, y(t) + 4, label(t), "tick", "end");
  }
}

void draw_time_axis(SvgBuilder& svg, const Scale& x, double end_s, double y) {
  for (const double t : x.ticks(10)) {
    if (t > end_s + 1e-9) continue;
    svg.line(x(t), y, x(t), y + 5, "axis");
    svg.text(x(t), y + 18, fmt::format("{:g}", t), "tick", "middle");
  }
  svg.text(kPlotRight, y + 34, "seconds from the start of traffic", "axis-title", "end");
}

void draw_fault_windows(SvgBuilder& svg, const json& scenario, const Scale& x, double end_s,
                        double top, double bottom) {
  const auto it = scenario.find("fault_events");
  if (it == scenario.end() || !it->is_array()) return;
  int index = 0;
  for (const auto& f : *it) {
    const double from = std::clamp(number_or(f, "injected_at_s", 0), 0.0, end_s);
    const bool healed = f.contains("healed_at_s") && f["healed_at_s"].is_number();
    const double to = healed ? std::clamp(f["healed_at_s"].get<double>(), from, end_s) : end_s;
    const std::string what =
        fmt::format("{} {}", f.value("action", "fault"), f.value("target", ""));
    // A fault injected by hand (game day, `run --live`) says so: its id and who injected it.
    const bool manual = f.value("manual", false);
    const std::string label =
        manual ? fmt::format("{} {} (manual, by {})", f.value("id", ""), what, f.value("actor", "?"))
               : what;
    const double x0 = x(from), x1 = std::max(x(to), x0 + 2);
    svg.open("g", fmt::format("class=\"fault{}\" data-fault=\"{}\" data-from-s=\"{:.3f}\" "
                              "data-to-s=\"{}\"{}",
                              manual ? " manual" : "", html_escape(what), from,
                              healed ? fmt::format("{:.3f}", to) : "",
                              manual ? fmt::format(" data-manual=\"true\" data-fault-id=\"{}\" "
                                                   "data-actor=\"{}\"",
                                                   html_escape(f.value("id", "")),
                                                   html_escape(f.value("actor", "")))
                                     : ""));
    svg.rect(x0, top, x1 - x0, bottom - top, "fault-window");
    svg.line(x0, top - kFaultLabelBand + 6, x0, bottom, "fault-edge");
    svg.text(x0 + 3, top - kFaultLabelBand + 16 + (index % 2) * 14,
             healed ? label : label + " (not healed)", "fault-label");
    svg.raw(fmt::format("<title>{}: {:.2f} s to {}{}</title>", html_escape(label), from,
                        healed ? fmt::format("{:.2f} s", to) : "the end (never healed)",
                        f.value("detail", "").empty() ? "" : " - " + html_escape(f.value("detail", ""))));
    svg.close("g");
    ++index;
  }
}

std::string scenario_figure(const json& scenario, int index) {
  json timeline = json::object();
  if (const auto t = scenario.find("timeline"); t != scenario.end() && t->is_object()) timeline = *t;
  const double bucket_s = number_or(timeline, "bucket_s", 0.1);
  const auto columns = downsample(timeline, static_cast<std::size_t>(kPlotRight - kPlotLeft));
  const double end_s = end_seconds(scenario, columns);
  const Scale x(0, end_s, kPlotLeft, kPlotRight);
  const LaneFrame frame{x, 0, kPlotLeft, kPlotRight, end_s};

  SvgBuilder body;
  const double charts_top = kFaultLabelBand + 12;
  draw_throughput(body, columns, x, bucket_s, charts_top);
  const double latency_top = charts_top + kThroughputHeight + kPanelGap;
  draw_latency(body, columns, x, latency_top);
  double y = latency_top + kLatencyHeight + 14;
  y = draw_server_lanes(body, scenario, columns, frame, y);
  y = draw_alert_and_reload_lanes(body, scenario, frame, y);
  const double bottom = y;
  draw_time_axis(body, x, end_s, bottom);

  SvgBuilder top_layer;  // translucent over the data, so bars tint instead of hiding it
  draw_fault_windows(top_layer, scenario, x, end_s, charts_top - 6, bottom);
  draw_abort(top_layer, scenario, x, charts_top - 6, bottom);
  top_layer.line(kPlotLeft, charts_top - 6, kPlotLeft, bottom, "cursor");

  const double height = bottom + 42;
  return fmt::format(
      "<div class=\"figure\" data-scenario=\"{0}\"><svg class=\"timeline\" id=\"fig-{0}\" "
      "viewBox=\"0 0 {1} {2}\" width=\"{1}\" height=\"{2}\" role=\"img\" "
      "aria-label=\"timeline of the run\">{3}{4}</svg><div class=\"readout\" "
      "id=\"readout-{0}\">hover the chart for the numbers of one moment</div></div>\n"
      "<script type=\"application/json\" id=\"data-{0}\">{5}</script>\n",
      index, px(kFigureWidth), px(height), body.markup(), top_layer.markup(),
      columns_json(columns, scenario, bucket_s, end_s));
}

}  // namespace lbchaos::report
