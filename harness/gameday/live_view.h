#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// What the live view and `lbchaos status` show, and how a terminal draws it.
namespace lbchaos::gameday {

struct ServerLane {
  std::string key;                           // "app/web1"
  std::map<std::string, std::string> state;  // per haproxy instance: "lb0" -> "UP"
  double rate = 0;                           // responses/s it served over the last second
  double share = 0;                          // of the responses with a known server, last second
  std::uint64_t errors = 0;                  // failed responses it sent since the start
  std::optional<double> p99_ms;              // its responses over the last 10 s
};

struct LbLane {
  std::string name;   // "lb0"
  std::string state;  // "running" | "stopped"
  int pid = -1;
};

struct FaultLine {
  std::string id;      // "f1"
  std::string action;
  std::string target;
  double age_s = 0;
  std::optional<double> heals_in_s;
  std::string actor;
  std::string detail;
};

struct AlertLine {
  std::string rule;
  std::string labels;  // "server=web1,proxy=app"
  std::string state;   // pending | firing
};

struct ViewSnapshot {
  std::string topology;
  double uptime_s = 0;
  double traffic_rate = 0;     // configured, 0: no background traffic
  double sent_rate = 0;        // last second
  std::uint64_t requests = 0;  // finished
  std::uint64_t failed = 0;
  double availability_target = 0.999;
  std::vector<ServerLane> servers;
  std::vector<LbLane> lbs;
  std::vector<FaultLine> faults;
  std::vector<AlertLine> alerts;
  std::string halted_reason;   // a stop condition tripped; empty: injections allowed
  std::vector<std::string> recent_events;  // newest last
  std::map<std::string, std::map<std::string, std::string>> frontends;  // lb -> name -> URL
  std::string journal;
  std::string run_dir;

  [[nodiscard]] double availability() const {
    return requests == 0 ? 1.0 : static_cast<double>(requests - failed) / static_cast<double>(requests);
  }
  // Share of the error budget (1 - target) spent so far; >1 is over budget.
  [[nodiscard]] double budget_spent() const {
    const double allowed = (1 - availability_target) * static_cast<double>(requests);
    return allowed <= 0 ? 0 : static_cast<double>(failed) / allowed;
  }
};

// The whole screen as text; `ansi` adds colours (the caller clears the screen).
[[nodiscard]] std::string render_view(const ViewSnapshot& view, bool ansi);

// `lbchaos status --json`.
[[nodiscard]] nlohmann::json to_json(const ViewSnapshot& view);

}  // namespace lbchaos::gameday
