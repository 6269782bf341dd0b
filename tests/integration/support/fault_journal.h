#pragma once

// Runs one fault scenario through the real `lbchaos run` and reads its JSON journal the way a
// person would look at the charts: traffic summed over a window of the timeline, the fault's
// injection and heal, haproxy's own events. Header-only (tests/integration/*.cc is globbed).

#include <algorithm>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/user_files.h"

namespace lbchaos::test_support {

inline const std::string kFaultScenarios =
    std::string(LBCHAOS_TEST_DATA) + "/integration/faults/";

struct FaultRun {
  int exit_code = -1;
  std::string output;          // lbchaos's stdout and stderr
  nlohmann::json scenario;     // journal["scenarios"][0]; null when no journal was written
  std::size_t leftover_processes = 0;
};

// `lbchaos run <scenario> --json ...` in a fresh directory, with the folder holding it (the
// user's scenario and topology) snapshotted before the run and compared afterwards; a test
// checks `files_unchanged`.
struct CheckedRun : FaultRun {
  ::testing::AssertionResult files_unchanged = ::testing::AssertionSuccess();
  ::testing::AssertionResult scenario_sha256 = ::testing::AssertionSuccess();
  ::testing::AssertionResult topology_sha256 = ::testing::AssertionSuccess();
};

inline CheckedRun run_checked_scenario(const std::filesystem::path& scenario_file) {
  const UserFiles files({scenario_file.parent_path()});
  TempDir dir;
  LbchaosProcess lbchaos({"run", scenario_file.string(), "--json", (dir / "journal.json").string()},
                         dir.path());
  CheckedRun run;
  run.exit_code = lbchaos.exit_code(std::chrono::seconds(120));
  run.output = lbchaos.output();
  const std::string text = read_file(dir / "journal.json");
  if (!text.empty()) run.scenario = nlohmann::json::parse(text)["scenarios"][0];
  // Bounded: a node may take a moment to be reaped after lbchaos has exited.
  eventually([&] { return processes_of_run(dir.path().string()).empty(); },
             std::chrono::seconds(2));
  run.leftover_processes = processes_of_run(dir.path().string()).size();
  run.files_unchanged = unchanged(files);
  if (!run.scenario.is_null()) {
    run.scenario_sha256 = journal_records_sha256(run.scenario, files, scenario_file);
    run.topology_sha256 = journal_records_sha256(
        run.scenario, files, run.scenario.at("topology").at("file").get<std::string>());
  }
  return run;
}

// A scenario of kFaultScenarios, run as above; the user's files must come out unchanged.
inline FaultRun run_fault_scenario(const std::string& file) {
  CheckedRun run = run_checked_scenario(kFaultScenarios + file);
  EXPECT_TRUE(run.files_unchanged) << file;
  EXPECT_TRUE(run.scenario_sha256) << file;
  EXPECT_TRUE(run.topology_sha256) << file;
  return run;
}

// The timeline buckets lying wholly inside [from_s, to_s), summed.
struct TrafficWindow {
  double from_s = 0;
  double to_s = 0;
  std::int64_t buckets = 0;
  std::int64_t sent = 0;
  std::int64_t ok = 0;
  std::int64_t http_5xx = 0;
  std::int64_t timeout = 0;
  std::map<std::string, std::int64_t> servers;  // responses (any status) per server
  std::vector<double> p50_s;                    // per bucket, where something succeeded
  std::vector<double> p99_s;

  [[nodiscard]] std::int64_t server(const std::string& name) const {
    const auto it = servers.find(name);
    return it == servers.end() ? 0 : it->second;
  }
  [[nodiscard]] std::int64_t attributed() const {
    std::int64_t total = 0;
    for (const auto& [name, n] : servers) total += n;
    return total;
  }
  // `name`'s share of the responses that named a server.
  [[nodiscard]] double share(const std::string& name) const {
    const auto total = attributed();
    return total == 0 ? 0.0 : static_cast<double>(server(name)) / static_cast<double>(total);
  }
  [[nodiscard]] static double median(std::vector<double> values) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  }
  [[nodiscard]] double median_p50() const { return median(p50_s); }
  [[nodiscard]] double max_p99() const {
    return p99_s.empty() ? 0.0 : *std::max_element(p99_s.begin(), p99_s.end());
  }
};

inline std::ostream& operator<<(std::ostream& out, const TrafficWindow& w) {
  out << "[" << w.from_s << " s, " << w.to_s << " s): " << w.sent << " sent, " << w.ok
      << " ok, " << w.http_5xx << " 5xx, " << w.timeout << " timeouts;";
  for (const auto& [name, n] : w.servers) out << " " << name << "=" << n;
  out << "; median p50 " << w.median_p50() << " s, max p99 " << w.max_p99() << " s";
  return out;
}

inline TrafficWindow traffic_window(const nlohmann::json& scenario, double from_s, double to_s) {
  TrafficWindow w;
  w.from_s = from_s;
  w.to_s = to_s;
  const auto& timeline = scenario.at("timeline");
  const double width = timeline.at("bucket_s").get<double>();
  constexpr double kEpsilon = 1e-9;
  for (const auto& b : timeline.at("buckets")) {
    const double start = b.at("t_s").get<double>();
    if (start + kEpsilon < from_s || start + width > to_s + kEpsilon) continue;
    ++w.buckets;
    w.sent += b.at("sent").get<std::int64_t>();
    w.ok += b.at("ok").get<std::int64_t>();
    w.http_5xx += b.at("errors").at("5xx").get<std::int64_t>();
    w.timeout += b.at("errors").at("timeout").get<std::int64_t>();
    for (const auto& [name, n] : b.at("servers").items()) w.servers[name] += n.get<std::int64_t>();
    if (!b.at("p50_s").is_null()) w.p50_s.push_back(b.at("p50_s").get<double>());
    if (!b.at("p99_s").is_null()) w.p99_s.push_back(b.at("p99_s").get<double>());
  }
  return w;
}

inline double traffic_end_s(const nlohmann::json& scenario) {
  return scenario.at("scenario").at("traffic").at("duration_s").get<double>();
}

struct FaultTimes {
  double injected_s = 0;
  double healed_s = 0;  // traffic end when never healed
  std::string detail;   // inject detail, then "; healed: ..."
};

inline FaultTimes fault_times(const nlohmann::json& scenario, std::size_t index = 0) {
  const auto& f = scenario.at("fault_events").at(index);
  return FaultTimes{f.at("injected_at_s").get<double>(),
                    f.at("healed_at_s").is_null() ? traffic_end_s(scenario)
                                                  : f.at("healed_at_s").get<double>(),
                    f.at("detail").get<std::string>()};
}

// haproxy's events about `server` entering `state` (UP, DOWN, MAINT, DRAIN), in time order.
inline std::vector<nlohmann::json> haproxy_events(const nlohmann::json& scenario,
                                                  const std::string& server,
                                                  const std::string& state) {
  std::vector<nlohmann::json> found;
  for (const auto& e : scenario.at("haproxy_events")) {
    if (e.at("server") == server && e.at("state") == state) found.push_back(e);
  }
  return found;
}

// The first such event at or after `after_s`; null when there is none.
inline nlohmann::json first_event_after(const nlohmann::json& scenario, const std::string& server,
                                        const std::string& state, double after_s) {
  for (const auto& e : haproxy_events(scenario, server, state)) {
    if (e.at("at_s").get<double>() >= after_s) return e;
  }
  return nullptr;
}

inline std::string all_events(const nlohmann::json& scenario) {
  return scenario.at("haproxy_events").dump(1);
}

}  // namespace lbchaos::test_support
