#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lbchaos::observe {

// One server row of haproxy's `show stat` (CSV; column numbers per the management guide).
struct ServerStat {
  std::string backend;       // pxname
  std::string server;        // svname
  std::string status;        // UP, DOWN, MAINT, DRAIN, NOLB, "no check", "UP 1/2", ...
  int weight = 0;
  long long sessions_total = 0;  // stot
  long long lb_total = 0;        // lbtot: times the server was selected
  std::string check_status;  // L4OK, L7STS, L4CON, INI, ... ("* " prefix = check running)
  std::string check_desc;    // human text of the last check result

  [[nodiscard]] std::string key() const { return backend + "/" + server; }
  // UP according to haproxy and, when health-checked, at least one check completed.
  [[nodiscard]] bool up_and_checked() const;
};

// Server rows only (FRONTEND/BACKEND aggregate rows are skipped). Malformed lines are skipped.
[[nodiscard]] std::vector<ServerStat> parse_show_stat(std::string_view csv);

}  // namespace lbchaos::observe
