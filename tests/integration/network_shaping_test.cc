// Network faults that shape the bytes rather than break the connection — bandwidth, slow_close,
// slice — through the built-in fault proxy, as `lbchaos run` does them: real haproxy, real
// backends, real traffic. Each one must show where a user looks (latency medians in the
// journal's timeline, compared with the same run before the fault and after the heal), cost
// no request, be healed, and leave the user's files untouched
// (tests/data/integration/shaping/*.toml). Bounds are lower bounds that follow from what was
// injected (load only adds to them), never tight ceilings: the machine is shared and noisy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

#include "tests/integration/support/fault_journal.h"
#include "tests/integration/support/scenario_run.h"

namespace lbchaos {
namespace {

using namespace test_support;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

const std::string kShaping = std::string(LBCHAOS_TEST_DATA) + "/integration/shaping/";
// Responses already on their way when a toxic comes or goes are partly shaped.
constexpr double kSettle = 0.3;
const std::string kWeb1 = "app/web1";
// The number of connections the heal says the toxic affected, or -1.
long affected_connections(const std::string& detail) {
  const std::string marker = "it affected ";
  const auto at = detail.find(marker);
  return at == std::string::npos ? -1 : std::stol(detail.substr(at + marker.size()));
}

struct Windows {
  FaultTimes fault;
  TrafficWindow before;
  TrafficWindow during;
  TrafficWindow after;
  TrafficWindow all;
};

double fastest_p50(const TrafficWindow& w) {
  return w.p50_s.empty() ? -1.0 : *std::min_element(w.p50_s.begin(), w.p50_s.end());
}

// Runs a scenario whose one fault shapes web1's link so that no response can take less than
// `shaped_at_least`, and checks what every such run must show: exit 0, the fault injected and
// healed, nothing failed, every response from web1, the proxy saying it shaped connections,
// the user's files untouched, nothing left running. Timing is judged one way only, which a
// loaded machine cannot fake: load makes responses slower, never faster. So while the fault
// is in, even the fastest 100 ms bucket's median is at least `shaped_at_least`; before it and
// after the heal, buckets far faster than that prove the link was (again) unshaped.
Windows run_shaping(const std::string& file, double shaped_at_least, CheckedRun& run) {
  run = run_checked_scenario(kShaping + file);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  if (run.scenario.is_null()) throw std::runtime_error("no journal:\n" + run.output);
  const auto& s = run.scenario;
  EXPECT_EQ(s.at("fault_events").size(), 1U) << s.dump(1);
  EXPECT_FALSE(s.at("fault_events")[0].at("healed_at_s").is_null()) << s.at("fault_events");
  Windows w;
  w.fault = fault_times(s);
  std::cout << w.fault.detail << "\n";
  EXPECT_GT(w.fault.healed_s, w.fault.injected_s);
  EXPECT_THAT(w.fault.detail, ContainsRegex("healed: removed the [a-z_]+ toxic; it affected "
                                            "[0-9]+ connection\\(s\\)"));
  EXPECT_GT(affected_connections(w.fault.detail), 0) << w.fault.detail;

  w.before = traffic_window(s, 0.5, w.fault.injected_s);
  // Requests sent shortly before the heal finish unshaped once it is removed.
  w.during = traffic_window(s, w.fault.injected_s + kSettle, w.fault.healed_s - 0.5);
  w.after = traffic_window(s, w.fault.healed_s + kSettle, traffic_end_s(s));
  w.all = traffic_window(s, 0, traffic_end_s(s));
  std::cout << "before: " << w.before << "\nduring: " << w.during << "\nafter:  " << w.after
            << "\n";
  // Slower, never failing: every request of the run succeeded, and every response named its
  // server intact (the header crossed the shaped link whole).
  EXPECT_GT(w.all.sent, 0);
  EXPECT_EQ(w.all.ok, w.all.sent);
  EXPECT_EQ(w.all.server(kWeb1), w.all.ok);
  EXPECT_EQ(probe(s, "availability", "all").at("measured").get<double>(), 1.0);
  // A shaped link is not a dead server: haproxy's checks (timeout 2s) never took web1 out.
  EXPECT_TRUE(haproxy_events(s, kWeb1, "DOWN").empty()) << all_events(s);
  // What the user sees: the median rises while the fault is in, and falls back after the heal.
  EXPECT_GT(w.during.buckets, 0);
  EXPECT_GE(w.during.median_p50(), shaped_at_least);
  EXPECT_GE(fastest_p50(w.during), shaped_at_least);
  EXPECT_GE(fastest_p50(w.before), 0.0);
  EXPECT_LT(fastest_p50(w.before), shaped_at_least / 2);
  EXPECT_GE(fastest_p50(w.after), 0.0);
  EXPECT_LT(fastest_p50(w.after), shaped_at_least / 2) << "still shaped after the heal?";
  for (const auto& p : s.at("probes")) EXPECT_EQ(p.at("verdict"), "pass") << p;

  EXPECT_TRUE(run.files_unchanged);
  EXPECT_TRUE(run.scenario_sha256);
  EXPECT_TRUE(run.topology_sha256);
  EXPECT_EQ(run.leftover_processes, 0U);
  return w;
}

TEST(NetworkShaping, BandwidthSlowsEveryResponseUntilHealed) {
  CheckedRun run;
  // A built-in backend's response is 101 bytes. At 500 bytes/s the proxy sends 25 bytes per
  // 50 ms quantum and may carry at most one quantum of credit over from the previous response
  // on the connection: the last byte leaves at least (101 - 2 x 25) / 500 = 0.102 s after the
  // first. Unshaped, a response takes a few milliseconds.
  const auto w = run_shaping("bandwidth.toml", 0.1, run);
  EXPECT_THAT(w.fault.detail,
              HasSubstr("bandwidth 500 bytes/s, down (server -> haproxy), toxicity 100%"));
  // lbchaos's own latency probe over the fault window says the same.
  EXPECT_GE(probe(run.scenario, "latency", "fault").at("measured").get<double>(), 0.1);
}

TEST(NetworkShaping, SlowCloseDelaysResponsesThatEndAtTheCloseUntilHealed) {
  CheckedRun run;
  // web1 answers HTTP/1.0 without a Content-Length: a response is whole only at the close,
  // which the proxy holds back 400 ms. Every response during the fault takes at least that.
  const auto w = run_shaping("slow_close.toml", 0.4, run);
  EXPECT_THAT(w.fault.detail, HasSubstr("slow_close (closes go on after 400ms), down (server -> "
                                        "haproxy), toxicity 100%"));
  EXPECT_EQ(w.during.ok, w.during.sent);
}

TEST(NetworkShaping, SliceDeliversEveryResponseWholeInSmallWritesUntilHealed) {
  CheckedRun run;
  // 101 bytes in 8-byte writes is 13 writes, 12 pauses of 10 ms when the response arrives in
  // one read, 11 + 1 when its header and body arrive apart: at least 0.1 s in all.
  const auto w = run_shaping("slice.toml", 0.1, run);
  EXPECT_THAT(w.fault.detail, HasSubstr("slice into 8-byte writes 10ms apart, down (server -> "
                                        "haproxy), toxicity 100%"));
  EXPECT_EQ(probe(run.scenario, "error_count", "all").at("measured").get<double>(), 0.0);
  EXPECT_GT(w.during.server(kWeb1), 0);
  EXPECT_EQ(w.during.server(kWeb1), w.during.ok);
}

// The check every test above relies on sees each kind of change to a user's folder.
TEST(UserFilesCheck, SeesAChangedFileANewFileAndARemovedFile) {
  TempDir dir;
  std::filesystem::create_directory(dir / "user");
  std::ofstream(dir / "user" / "scenario.toml") << "name = \"x\"\n";
  std::ofstream(dir / "user" / "topology.toml") << "name = \"y\"\n";
  const UserFiles files({dir / "user"});
  EXPECT_TRUE(unchanged(files));
  EXPECT_EQ(files.sha256(dir / "user" / "scenario.toml").size(), 64U);

  std::ofstream(dir / "user" / "scenario.toml") << "name = \"z\"\n";  // same size, other bytes
  std::ofstream(dir / "user" / "haproxy.cfg.rendered") << "global\n";
  std::filesystem::remove(dir / "user" / "topology.toml");
  const auto differences = files.differences();
  ASSERT_EQ(differences.size(), 3U) << ::testing::PrintToString(differences);
  EXPECT_THAT(differences, ::testing::Contains(HasSubstr("scenario.toml: changed")));
  EXPECT_THAT(differences, ::testing::Contains(HasSubstr("haproxy.cfg.rendered: new file")));
  EXPECT_THAT(differences, ::testing::Contains(HasSubstr("topology.toml: removed")));
  EXPECT_FALSE(unchanged(files));
}

}  // namespace
}  // namespace lbchaos
