#include "harness/gameday/live_view.h"

#include <fmt/format.h>

namespace lbchaos::gameday {

namespace {

constexpr const char* kReset = "\033[0m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";

std::string paint(bool ansi, const char* colour, const std::string& text) {
  return ansi ? fmt::format("{}{}{}", colour, text, kReset) : text;
}

const char* state_colour(const std::string& state) {
  if (state.starts_with("UP") || state == "running") return kGreen;
  if (state.starts_with("DOWN") || state == "stopped") return kRed;
  return kYellow;
}

std::string seconds(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return fmt::format("{}h{:02}m", static_cast<int>(s) / 3600, static_cast<int>(s) % 3600 / 60);
}

}  // namespace

std::string render_view(const ViewSnapshot& v, bool ansi) {
  std::string out;
  out += paint(ansi, kBold, fmt::format("lbchaos game day: {}", v.topology));
  out += fmt::format("   up {}   traffic {}\n", seconds(v.uptime_s),
                     v.traffic_rate > 0
                         ? fmt::format("{:.0f} req/s (sent {:.0f}/s)", v.traffic_rate, v.sent_rate)
                         : std::string("off"));
  const double spent = v.budget_spent();
  out += fmt::format("SLO: availability {:.3f}% (target {:.3f}%), {} requests, {} errors, error "
                     "budget {} spent\n",
                     v.availability() * 100, v.availability_target * 100, v.requests, v.failed,
                     paint(ansi, spent > 1 ? kRed : spent > 0.5 ? kYellow : kGreen,
                           fmt::format("{:.0f}%", spent * 100)));
  if (!v.halted_reason.empty()) {
    out += paint(ansi, kRed, fmt::format("HALTED: {}: injections refused until `lbchaos halt "
                                         "--clear`",
                                         v.halted_reason)) +
           "\n";
  }
  out += fmt::format("\n{:<20} {:<16} {:>8} {:>7} {:>8} {:>9}\n", "SERVER", "STATE", "REQ/S",
                     "SHARE", "ERRORS", "P99");
  for (const auto& s : v.servers) {
    std::string states;
    std::string plain;
    for (const auto& [lb, state] : s.state) {
      const std::string item = v.lbs.size() > 1 ? fmt::format("{}:{}", lb, state) : state;
      plain += (plain.empty() ? "" : " ") + item;
      states += (states.empty() ? "" : " ") + paint(ansi, state_colour(state), item);
    }
    const std::string pad(plain.size() < 16 ? 16 - plain.size() : 0, ' ');
    out += fmt::format("{:<20} {}{} {:>8.0f} {:>6.0f}% {:>8} {:>9}\n", s.key, states, pad, s.rate,
                       s.share * 100, s.errors,
                       s.p99_ms ? fmt::format("{:.1f}ms", *s.p99_ms) : std::string("-"));
  }
  out += "\nLOAD BALANCERS\n";
  for (const auto& lb : v.lbs) {
    out += fmt::format("  {:<6} {} (pid {})\n", lb.name, paint(ansi, state_colour(lb.state), lb.state),
                       lb.pid);
  }
  out += fmt::format("\nACTIVE FAULTS ({})\n", v.faults.size());
  if (v.faults.empty()) out += "  none\n";
  for (const auto& f : v.faults) {
    out += fmt::format("  {:<4} {:<12} {:<14} age {:<7}{} by {}\n", f.id, f.action, f.target,
                       seconds(f.age_s),
                       f.heals_in_s ? fmt::format(" heals in {}", seconds(*f.heals_in_s)) : "",
                       f.actor);
  }
  out += fmt::format("\nALERTS ({})\n", v.alerts.size());
  if (v.alerts.empty()) out += "  none pending or firing\n";
  for (const auto& a : v.alerts) {
    out += fmt::format("  {} {}{{{}}}\n",
                       paint(ansi, a.state == "firing" ? kRed : kYellow, a.state), a.rule,
                       a.labels);
  }
  out += "\nRECENT EVENTS\n";
  for (const auto& line : v.recent_events) {
    // One screen line each: a long haproxy reason must not push the rest of the view away.
    constexpr std::size_t kWidth = 110;
    out += "  ";
    if (line.size() > kWidth) {
      out.append(line, 0, kWidth - 3);
      out += "...";
    } else {
      out += line;
    }
    out += '\n';
  }
  for (const auto& [lb, frontends] : v.frontends) {
    for (const auto& [name, url] : frontends) out += fmt::format("\nfrontend {} {}: {}", lb, name, url);
  }
  out += fmt::format("\njournal: {}\ncontrol: lbchaos inject|heal|status|halt|note  (run {})\n",
                     v.journal, v.run_dir);
  return out;
}

nlohmann::json to_json(const ViewSnapshot& v) {
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& s : v.servers) {
    servers.push_back({{"server", s.key},
                       {"state", s.state},
                       {"rate", s.rate},
                       {"share", s.share},
                       {"errors", s.errors},
                       {"p99_ms", s.p99_ms ? nlohmann::json(*s.p99_ms) : nlohmann::json()}});
  }
  nlohmann::json lbs = nlohmann::json::array();
  for (const auto& lb : v.lbs) lbs.push_back({{"name", lb.name}, {"state", lb.state}, {"pid", lb.pid}});
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& f : v.faults) {
    faults.push_back({{"id", f.id},
                      {"action", f.action},
                      {"target", f.target},
                      {"age_s", f.age_s},
                      {"heals_in_s", f.heals_in_s ? nlohmann::json(*f.heals_in_s) : nlohmann::json()},
                      {"actor", f.actor},
                      {"detail", f.detail}});
  }
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& a : v.alerts) {
    alerts.push_back({{"rule", a.rule}, {"labels", a.labels}, {"state", a.state}});
  }
  return {{"topology", v.topology},
          {"uptime_s", v.uptime_s},
          {"traffic", {{"rate", v.traffic_rate}, {"sent_rate", v.sent_rate}, {"requests", v.requests}, {"failed", v.failed}}},
          {"slo",
           {{"availability", v.availability()},
            {"target", v.availability_target},
            {"budget_spent", v.budget_spent()}}},
          {"halted", v.halted_reason.empty() ? nlohmann::json() : nlohmann::json(v.halted_reason)},
          {"servers", servers},
          {"lbs", lbs},
          {"faults", faults},
          {"alerts", alerts},
          {"frontends", v.frontends},
          {"journal", v.journal},
          {"run_dir", v.run_dir}};
}

}  // namespace lbchaos::gameday
