// Faults are always healed (also on Ctrl-C), a seeded random schedule replays exactly, and
// haproxy's known blind spot (a frozen server behind TCP-only checks) is shown for what it is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <iostream>

#include "harness/scenario/loader.h"
#include "faults/random.h"
#include "tests/integration/support/fault_journal.h"
#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/user_files.h"
#include "tests/integration/support/scenario_run.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kHeal = std::string(LBCHAOS_TEST_DATA) + "/integration/heal/";

// One heal scenario through the fixture: lbchaos exits 0 or 1 (a probe may fail), leaves no
// process behind and the user's files as they were; returns its journal entry.
nlohmann::json run_heal_scenario(const std::string& file, std::vector<std::string> extra = {}) {
  const auto run = run_scenario({.scenario = kHeal + file, .extra_args = std::move(extra)});
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.output;
  EXPECT_TRUE(run.clean()) << file;
  return run.scenario;
}

bool marked_down(const nlohmann::json& scenario, const std::string& server) {
  for (const auto& e : scenario["haproxy_events"]) {
    if (e["server"] == server && e["state"] == "DOWN") return true;
  }
  return false;
}

// Traffic in the first moments after a change may already have been on its way.
constexpr double kSettle = 0.3;

TEST(Heal, PausedServerBehindTcpChecksStaysUpAndItsRequestsWaitUntilSigcont) {
  const auto s = run_heal_scenario("pause_tcp_checks.toml");
  EXPECT_EQ(s["outcome"], "passed") << s["probes"].dump(1);
  EXPECT_FALSE(marked_down(s, "app/web1")) << "TCP checks are blind to a frozen process";
  const auto fault = fault_times(s);
  ASSERT_FALSE(s["fault_events"][0]["healed_at_s"].is_null()) << "SIGCONT was not sent";
  EXPECT_THAT(fault.detail, HasSubstr("SIGSTOP"));
  EXPECT_THAT(fault.detail, HasSubstr("SIGCONT"));

  // Still in rotation while frozen, web1's requests wait: those due more than the client's
  // timeout (2 s) before SIGCONT time out (the margin covers send lag), and nothing else fails.
  const double timeout_s = s["scenario"]["traffic"]["timeout_s"].get<double>();
  const auto timing_out =
      traffic_window(s, fault.injected_s + kSettle, fault.healed_s - timeout_s - 0.2);
  const auto after = traffic_window(s, fault.healed_s + kSettle, traffic_end_s(s));
  std::cout << "timing out: " << timing_out << "\nafter: " << after << "\n";
  EXPECT_GT(timing_out.timeout, 0);
  EXPECT_EQ(timing_out.timeout + timing_out.ok, timing_out.sent) << "only timeouts";
  EXPECT_EQ(timing_out.server("app/web1"), 0) << "a frozen server answers nothing in time";
  // After SIGCONT, web1 takes its half again and every request is served.
  EXPECT_GT(after.sent, 0);
  EXPECT_EQ(after.ok, after.sent);
  EXPECT_GT(after.share("app/web1"), 0.3);
}

TEST(Heal, PausedServerBehindHttpChecksIsMarkedDownAndBackAfterSigcont) {
  const auto s = run_heal_scenario("pause_http_checks.toml");
  EXPECT_EQ(s["outcome"], "passed") << s["probes"].dump(1);
  const auto fault = fault_times(s);
  ASSERT_FALSE(s["fault_events"][0]["healed_at_s"].is_null()) << "SIGCONT was not sent";
  const auto down = first_event_after(s, "app/web1", "DOWN", fault.injected_s);
  ASSERT_FALSE(down.is_null()) << all_events(s);
  const double down_at = down["at_s"].get<double>();
  EXPECT_LT(down_at, fault.healed_s);
  const auto up = first_event_after(s, "app/web1", "UP", fault.healed_s);
  ASSERT_FALSE(up.is_null()) << "web1 must come back after SIGCONT: " << all_events(s);

  // Requests already sent to web1 before it was marked DOWN wait for it; once DOWN, web2 and
  // web3 serve everything; back UP after SIGCONT, web1 takes its third again.
  const auto caught = traffic_window(s, fault.injected_s, down_at);
  const auto out = traffic_window(s, down_at + kSettle, fault.healed_s);
  const auto back = traffic_window(s, up["at_s"].get<double>() + kSettle, traffic_end_s(s));
  std::cout << "caught: " << caught << "\nout: " << out << "\nback: " << back << "\n";
  EXPECT_GT(caught.sent, caught.ok) << "requests on the frozen server fail";
  EXPECT_GT(out.sent, 0);
  EXPECT_EQ(out.server("app/web1"), 0);
  EXPECT_EQ(out.ok, out.sent);
  EXPECT_GT(back.sent, 0);
  EXPECT_EQ(back.ok, back.sent);
  EXPECT_GT(back.share("app/web1"), 0.2);
}

class CtrlCDuringFault : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(CtrlCDuringFault, HealsTheFaultAndLeavesNoProcess) {
  const auto& [file, fault_line] = GetParam();
  TempDir dir;
  LbchaosProcess lbchaos({"run", kHeal + file, "--json", (dir / "journal.json").string()},
                         dir.path());
  ASSERT_TRUE(eventually([&] { return lbchaos.err().find(fault_line) != std::string::npos; }, 30s))
      << lbchaos.output();
  lbchaos.signal(SIGINT);
  EXPECT_EQ(lbchaos.exit_code(30s), 1) << lbchaos.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s));
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  const auto& fault = journal["scenarios"][0]["fault_events"][0];
  EXPECT_EQ(journal["scenarios"][0]["outcome"], "interrupted");
  EXPECT_FALSE(fault["healed_at_s"].is_null()) << fault.dump();
  EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("healed"));
}

INSTANTIATE_TEST_SUITE_P(
    MaintAndNetwork, CtrlCDuringFault,
    ::testing::Values(std::make_pair(std::string("long_maint.toml"), std::string("fault: maint app/web1")),
                      std::make_pair(std::string("long_latency.toml"), std::string("fault: latency app/web1"))),
    [](const auto& param_info) { return param_info.param.first.substr(5, 5); });

// The plan a seed draws, as the journal spells it (integer ns: compared exactly).
nlohmann::json drawn_plan(std::uint64_t seed) {
  const auto scenario = scenario::load_scenario(kHeal + "random.toml");
  nlohmann::json plan = nlohmann::json::array();
  for (const auto& f : faults::expand_random_faults(scenario, seed)) {
    plan.push_back({{"action", f.action}, {"target", f.target}, {"at_ns", f.at.count()},
                    {"heal_after_ns", f.heal_after->count()}});
  }
  return plan;
}

// The journal's plan without its readable duplicates (at_s, heal_after_s).
nlohmann::json exact_plan(const nlohmann::json& scenario) {
  nlohmann::json plan = nlohmann::json::array();
  for (const auto& f : scenario.at("fault_plan")) {
    plan.push_back({{"action", f.at("action")}, {"target", f.at("target")},
                    {"at_ns", f.at("at_ns")}, {"heal_after_ns", f.at("heal_after_ns")}});
  }
  return plan;
}

TEST(Replay, SameRandomSeedGivesTheSameScheduleInBothJournals) {
  const auto first = run_heal_scenario("random.toml", {"--seed", "42"});
  const auto second = run_heal_scenario("random.toml", {"--seed", "42"});
  EXPECT_EQ(first["seed"], 42);
  EXPECT_EQ(second["seed"], 42);
  const auto plan = exact_plan(first);
  ASSERT_GE(plan.size(), 2u) << "the schedule drew too few faults to compare";
  // The same plan, to the nanosecond, in both runs: the one seed 42 draws.
  EXPECT_EQ(plan, exact_plan(second));
  EXPECT_EQ(plan, drawn_plan(42));
  // And it is what was run: each planned fault was injected (and healed), in order.
  for (const auto* run : {&first, &second}) {
    const auto& events = (*run)["fault_events"];
    ASSERT_EQ(events.size(), plan.size()) << events.dump(1);
    for (std::size_t i = 0; i < plan.size(); ++i) {
      EXPECT_EQ(events[i]["action"], plan[i]["action"]) << i;
      EXPECT_EQ(events[i]["target"], plan[i]["target"]) << i;
      EXPECT_FALSE(events[i]["healed_at_s"].is_null()) << i;
    }
  }
}

TEST(Replay, WithoutSeedOptionTheFilesSeedDrawsTheSchedule) {
  const auto run = run_heal_scenario("random.toml");
  EXPECT_EQ(run["seed"], 7);  // random.toml: seed = 7
  const auto plan = exact_plan(run);
  EXPECT_EQ(plan, drawn_plan(7));
  // Not the plan of the seed the other test passes with --seed.
  EXPECT_NE(plan, drawn_plan(42));
}

}  // namespace
}  // namespace lbchaos
