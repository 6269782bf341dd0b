// Process faults on a built-in backend through `lbchaos run`, as CI runs them: `terminate`
// (SIGTERM to the node's group, started again at the heal) and `restart` (stopped and started
// again at once, as a new process). Real haproxy, real backends, real traffic; the journal is
// read the way a user would, and the user's files must be untouched
// (tests/data/integration/process/*.toml).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>

#include "tests/integration/support/fault_journal.h"
#include "tests/integration/support/scenario_run.h"

namespace lbchaos {
namespace {

using namespace test_support;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

const std::string kProcess = std::string(LBCHAOS_TEST_DATA) + "/integration/process/";
// Traffic in the first moments after a change may already have been on its way.
constexpr double kSettle = 0.3;
const std::string kWeb1 = "app/web1";

// The number that follows `prefix` (a regex) and a space in `text`, or -1.
long number_after(const std::string& text, const std::string& prefix) {
  const std::regex pattern(prefix + " ([0-9]+)");
  std::smatch match;
  return std::regex_search(text, match, pattern) ? std::stol(match[1]) : -1;
}

void expect_clean(const CheckedRun& run) {
  EXPECT_TRUE(run.files_unchanged);
  EXPECT_TRUE(run.scenario_sha256);
  EXPECT_TRUE(run.topology_sha256);
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(ProcessFault, TerminateGetsWeb1MarkedDownAndTheHealBringsItBackServing) {
  const auto run = run_checked_scenario(kProcess + "terminate.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  ASSERT_EQ(s.at("fault_events").size(), 1U) << s.dump(1);
  const auto& event = s.at("fault_events")[0];
  ASSERT_FALSE(event.at("healed_at_s").is_null()) << event.dump();
  const auto fault = fault_times(s);
  std::cout << fault.detail << "\n";

  // SIGTERM to the node's process group, and the heal started a new process.
  EXPECT_THAT(fault.detail, ContainsRegex("^SIGTERM to process group [0-9]+ \\(app/web1\\)"));
  EXPECT_THAT(fault.detail, ContainsRegex("; healed: started app/web1 again \\(pid [0-9]+\\)$"));
  const long old_pid = number_after(fault.detail, "SIGTERM to process group");
  const long new_pid = number_after(fault.detail, "started app/web1 again \\(pid");
  EXPECT_GT(old_pid, 0);
  EXPECT_GT(new_pid, 0);
  EXPECT_NE(old_pid, new_pid);
  EXPECT_GT(fault.healed_s, fault.injected_s);

  // haproxy notices on its own (its checks), between the SIGTERM and the heal ...
  const auto down = first_event_after(s, kWeb1, "DOWN", fault.injected_s);
  ASSERT_FALSE(down.is_null()) << all_events(s);
  const double down_at = down.at("at_s").get<double>();
  EXPECT_LT(down_at, fault.healed_s) << all_events(s);
  EXPECT_EQ(probe(s, "detection_time").at("verdict"), "pass") << probe(s, "detection_time");
  // ... and takes it back once the heal started it again.
  const auto up = first_event_after(s, kWeb1, "UP", fault.healed_s);
  ASSERT_FALSE(up.is_null()) << all_events(s);
  EXPECT_EQ(probe(s, "recovery_time").at("verdict"), "pass") << probe(s, "recovery_time");

  const auto out = traffic_window(s, down_at + kSettle, fault.healed_s);
  const auto back = traffic_window(s, up.at("at_s").get<double>() + kSettle, traffic_end_s(s));
  std::cout << "out:  " << out << "\nback: " << back << "\n";
  // While DOWN, web2 and web3 carry everything; back UP, web1 takes its third again.
  EXPECT_GT(out.sent, 0);
  EXPECT_EQ(out.server(kWeb1), 0);
  EXPECT_GT(out.server("app/web2"), 0);
  EXPECT_GT(out.server("app/web3"), 0);
  EXPECT_EQ(out.http_5xx, 0);
  EXPECT_GT(back.sent, 0);
  EXPECT_GT(back.share(kWeb1), 0.2);
  EXPECT_EQ(back.ok, back.sent);
  EXPECT_EQ(probe(s, "availability").at("verdict"), "pass") << probe(s, "availability");
  expect_clean(run);
}

TEST(ProcessFault, RestartReplacesWeb1WithANewProcessAndTheServiceCarriesOn) {
  const auto run = run_checked_scenario(kProcess + "restart.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  ASSERT_EQ(s.at("fault_events").size(), 1U) << s.dump(1);
  const auto& event = s.at("fault_events")[0];
  ASSERT_FALSE(event.at("healed_at_s").is_null()) << event.dump();
  const auto fault = fault_times(s);
  std::cout << fault.detail << "\n";

  // Stopped gracefully (SIGTERM is enough for the built-in backend: it exits with code 0) and
  // started again as another process; nothing is left for the heal to do.
  EXPECT_THAT(fault.detail, ContainsRegex("^stopped app/web1 \\(pid [0-9]+, exit code 0\\); "
                                          "started app/web1 again \\(pid [0-9]+\\)"));
  EXPECT_THAT(fault.detail, HasSubstr("; healed: nothing to undo"));
  const long old_pid = number_after(fault.detail, "stopped app/web1 \\(pid");
  const long new_pid = number_after(fault.detail, "started app/web1 again \\(pid");
  EXPECT_GT(old_pid, 0);
  EXPECT_GT(new_pid, 0);
  EXPECT_NE(old_pid, new_pid);
  EXPECT_GT(fault.healed_s, fault.injected_s);

  // Whether haproxy's checks caught the gap or not, web1 ends UP: any DOWN is followed by an UP.
  const auto down = first_event_after(s, kWeb1, "DOWN", fault.injected_s);
  double back_from = fault.healed_s;
  if (!down.is_null()) {
    const auto up = first_event_after(s, kWeb1, "UP", down.at("at_s").get<double>());
    ASSERT_FALSE(up.is_null()) << "DOWN without a later UP: " << all_events(s);
    back_from = std::max(back_from, up.at("at_s").get<double>());
  }
  std::cout << "haproxy events: " << all_events(s) << "\n";

  // The pool kept serving, and the new web1 takes its share of the traffic again.
  const auto before = traffic_window(s, 0.5, fault.injected_s);
  const auto back = traffic_window(s, back_from + kSettle, traffic_end_s(s));
  std::cout << "before: " << before << "\nback:   " << back << "\n";
  EXPECT_GT(before.share(kWeb1), 0.2);
  EXPECT_GT(back.sent, 0);
  EXPECT_GT(back.share(kWeb1), 0.2);
  EXPECT_EQ(back.ok, back.sent);
  EXPECT_EQ(probe(s, "availability").at("verdict"), "pass") << probe(s, "availability");
  expect_clean(run);
}

}  // namespace
}  // namespace lbchaos
