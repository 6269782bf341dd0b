#include "harness/report/html_lanes.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

namespace lbchaos::report {

namespace {

using nlohmann::json;

constexpr double kServerLaneHeight = 22;
constexpr double kAlertLaneHeight = 14;
constexpr double kLaneGap = 5;
constexpr std::size_t kLabelChars = 26;

const json& array_at(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

double at_s(const json& event, const char* key = "at_s") {
  const auto it = event.find(key);
  return it != event.end() && it->is_number() ? it->get<double>() : 0.0;
}

void lane_label(SvgBuilder& svg, const LaneFrame& frame, double y, const std::string& text,
                const std::string& css_class = "lane-label") {
  // Long labels lose the common "Haproxy" of rule names, then their start: the end (the server
  // or alert name) stays readable.
  std::string shown = text;
  if (shown.size() > kLabelChars && shown.rfind("Haproxy", 0) == 0) shown = shown.substr(7);
  if (shown.size() > kLabelChars) shown = "…" + shown.substr(shown.size() - (kLabelChars - 1));
  svg.text(frame.plot_left - 6, y, shown, css_class, "end");
}

// "HaproxyServerDown web1": one alert instance, by its rule and the label that says what it is
// about (server, else proxy, else instance); the full labels are in the tooltip and the journal.
std::string alert_instance(const json& event) {
  std::string name = event.value("rule", "?");
  if (const auto it = event.find("labels"); it != event.end() && it->is_object()) {
    for (const char* key : {"server", "proxy", "instance"}) {
      if (const auto label = it->find(key); label != it->end() && label->is_string()) {
        return name + " " + label->get<std::string>();
      }
    }
  }
  return name;
}

}  // namespace

std::vector<std::string> lane_servers(const json& scenario) {
  std::vector<std::string> servers;
  if (const auto t = scenario.find("timeline"); t != scenario.end()) {
    for (const auto& s : array_at(*t, "servers")) servers.push_back(s.get<std::string>());
  }
  for (const auto& e : array_at(scenario, "haproxy_events")) {
    const std::string name = e.value("server", "");
    if (!name.empty() && std::find(servers.begin(), servers.end(), name) == servers.end()) {
      servers.push_back(name);
    }
  }
  // The timeline lists servers as traffic first reached them; people look for them by name.
  std::sort(servers.begin(), servers.end());
  return servers;
}

std::vector<StateSpan> server_state_spans(const json& haproxy_events, const std::string& server,
                                          double end_s) {
  std::optional<int> instance;
  for (const auto& e : haproxy_events) {
    if (e.value("server", "") != server) continue;
    const int i = e.value("instance", 0);
    if (!instance || i < *instance) instance = i;
  }
  std::vector<StateSpan> spans{{"UP", 0.0, end_s}};
  for (const auto& e : haproxy_events) {
    if (e.value("server", "") != server || e.value("instance", 0) != *instance) continue;
    const double t = std::clamp(at_s(e), 0.0, end_s);
    const std::string state = e.value("state", "UP");
    if (state == spans.back().state) continue;
    spans.back().to_s = t;
    spans.push_back({state, t, end_s});
  }
  std::erase_if(spans, [](const StateSpan& s) { return s.to_s <= s.from_s; });
  return spans;
}

double draw_server_lanes(SvgBuilder& svg, const json& scenario,
                         const std::vector<ChartColumn>& columns, const LaneFrame& frame,
                         double top) {
  const auto servers = lane_servers(scenario);
  const json& events = array_at(scenario, "haproxy_events");
  std::vector<std::string> timeline_servers;
  if (const auto t = scenario.find("timeline"); t != scenario.end()) {
    for (const auto& s : array_at(*t, "servers")) timeline_servers.push_back(s.get<std::string>());
  }
  double y = top;
  for (const auto& server : servers) {
    svg.open("g", fmt::format("class=\"lane server-lane\" data-server=\"{}\"", html_escape(server)));
    lane_label(svg, frame, y + kServerLaneHeight * 0.7, server);
    for (const auto& span : server_state_spans(events, server, frame.end_s)) {
      const double x0 = frame.x(span.from_s), x1 = frame.x(span.to_s);
      svg.open("g", "");
      svg.rect(x0, y, std::max(x1 - x0, 1.0), kServerLaneHeight,
               fmt::format("state state-{}", html_escape(span.state)),
               fmt::format("data-server=\"{}\" data-state=\"{}\" data-from-s=\"{:.3f}\" "
                           "data-to-s=\"{:.3f}\"",
                           html_escape(server), html_escape(span.state), span.from_s, span.to_s));
      svg.raw(fmt::format("<title>{} {} from {:.2f} s to {:.2f} s</title>", html_escape(server),
                          html_escape(span.state), span.from_s, span.to_s));
      svg.close("g");
      if (x1 - x0 > 34) svg.text(x0 + 4, y + 15, span.state, "state-text");
    }
    // Its share of all responses, as a line inside the lane (top = 100%).
    const auto id = std::find(timeline_servers.begin(), timeline_servers.end(), server);
    if (id != timeline_servers.end() && !columns.empty()) {
      const auto k = static_cast<std::size_t>(id - timeline_servers.begin());
      std::vector<std::pair<double, double>> points;
      double share_sum = 0;
      for (const auto& c : columns) {
        const double share = k < c.server_share.size() ? c.server_share[k] : 0.0;
        share_sum += share;
        const double sy = y + kServerLaneHeight - 2 - share * (kServerLaneHeight - 4);
        points.emplace_back(frame.x(c.from_s), sy);
        points.emplace_back(frame.x(c.to_s), sy);
      }
      svg.polyline(points, "share");
      svg.text(frame.plot_right + 4, y + 15,
               fmt::format("{:.0f}%", 100 * share_sum / static_cast<double>(columns.size())),
               "share-text");
    }
    svg.close("g");
    y += kServerLaneHeight + kLaneGap;
  }
  return y;
}

double draw_alert_and_reload_lanes(SvgBuilder& svg, const json& scenario, const LaneFrame& frame,
                                   double top) {
  double y = top;
  static const json kNoAlerts = json::object();
  const auto alerts_it = scenario.find("alerts");
  const json& alerts = alerts_it != scenario.end() ? *alerts_it : kNoAlerts;
  // Alert instances in order of first appearance, each with its state changes.
  // Keyed by rule and every label (two instances never share a lane), shown by a short name.
  std::vector<std::string> order;
  std::map<std::string, std::string> names;
  std::map<std::string, std::vector<std::pair<double, std::string>>> changes;
  for (const auto& e : array_at(alerts, "events")) {
    const auto key = e.value("rule", "") + e.value("labels", json::object()).dump();
    if (!changes.contains(key)) order.push_back(key);
    names[key] = alert_instance(e);
    changes[key].emplace_back(at_s(e), e.value("state", ""));
  }
  for (const auto& key : order) {
    const std::string& name = names[key];
    svg.open("g", fmt::format("class=\"lane alert-lane\" data-alert=\"{}\"", html_escape(name)));
    lane_label(svg, frame, y + kAlertLaneHeight * 0.8, name, "lane-label alert-label");
    svg.rect(frame.plot_left, y, frame.plot_right - frame.plot_left, kAlertLaneHeight, "lane-bg");
    const auto& list = changes[key];
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& [t, state] = list[i];
      if (state == "resolved") {
        svg.open("g", "");
        svg.rect(frame.x(t) - 1.5, y, 3, kAlertLaneHeight, "alert-resolved",
                 fmt::format("data-state=\"resolved\" data-from-s=\"{:.3f}\"", t));
        svg.raw(fmt::format("<title>{} resolved at {:.2f} s</title>", html_escape(name), t));
        svg.close("g");
        continue;
      }
      const double until = i + 1 < list.size() ? list[i + 1].first : frame.end_s;
      svg.open("g", "");
      svg.rect(frame.x(t), y + 2, std::max(frame.x(until) - frame.x(t), 1.5), kAlertLaneHeight - 4,
               fmt::format("alert-{}", html_escape(state)),
               fmt::format("data-state=\"{}\" data-from-s=\"{:.3f}\" data-to-s=\"{:.3f}\"",
                           html_escape(state), t, until));
      svg.raw(fmt::format("<title>{} {} from {:.2f} s</title>", html_escape(name),
                          html_escape(state), t));
      svg.close("g");
    }
    svg.close("g");
    y += kAlertLaneHeight + kLaneGap;
  }
  const json& reloads = array_at(scenario, "reload_events");
  if (!reloads.empty()) {
    svg.open("g", "class=\"lane reload-lane\"");
    lane_label(svg, frame, y + kAlertLaneHeight * 0.8, "reloads");
    svg.rect(frame.plot_left, y, frame.plot_right - frame.plot_left, kAlertLaneHeight, "lane-bg");
    for (const auto& r : reloads) {
      const bool accepted = r.value("accepted", false);
      const double x = frame.x(at_s(r));
      svg.open("g", "");
      svg.raw(fmt::format(
          "<path d=\"M{} {}l-5 {}h10z\" class=\"{}\" data-reload=\"{}\" data-at-s=\"{:.3f}\"/>",
          px(x), px(y + 1), px(kAlertLaneHeight - 2),
          accepted ? "reload-accepted" : "reload-refused", accepted ? "accepted" : "refused",
          at_s(r)));
      svg.raw(fmt::format("<title>lb{} reload {} at {:.2f} s: {}</title>", r.value("instance", 0),
                          accepted ? "accepted" : "refused", at_s(r),
                          html_escape(r.value("detail", ""))));
      svg.close("g");
    }
    svg.close("g");
    y += kAlertLaneHeight + kLaneGap;
  }
  return y;
}

}  // namespace lbchaos::report
