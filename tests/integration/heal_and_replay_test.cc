// Faults are always healed (also on Ctrl-C), a seeded random schedule replays exactly, and
// haproxy's known blind spot (a frozen server behind TCP-only checks) is shown for what it is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/user_files.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kHeal = std::string(LBCHAOS_TEST_DATA) + "/integration/heal/";

nlohmann::json run_scenario(const std::string& file, std::vector<std::string> extra = {}) {
  const UserFiles user_files({std::filesystem::path(kHeal + file).parent_path()});
  TempDir dir;
  std::vector<std::string> args{"run", kHeal + file, "--json", (dir / "journal.json").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  LbchaosProcess lbchaos(args, dir.path());
  const int code = lbchaos.exit_code(120s);
  EXPECT_TRUE(code == 0 || code == 1) << lbchaos.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s));
  EXPECT_TRUE(unchanged(user_files)) << file;
  return nlohmann::json::parse(read_file(dir / "journal.json"))["scenarios"][0];
}

bool marked_down(const nlohmann::json& scenario, const std::string& server) {
  for (const auto& e : scenario["haproxy_events"]) {
    if (e["server"] == server && e["state"] == "DOWN") return true;
  }
  return false;
}

TEST(Heal, PausedServerBehindTcpChecksStaysUpWhileHttpChecksCatchIt) {
  const auto tcp = run_scenario("pause_tcp_checks.toml");
  EXPECT_FALSE(marked_down(tcp, "app/web1")) << "TCP checks are blind to a frozen process";
  const auto http = run_scenario("pause_http_checks.toml");
  EXPECT_TRUE(marked_down(http, "app/web1")) << http["haproxy_events"].dump();
  EXPECT_EQ(http["outcome"], "passed");
  for (const auto* run : {&tcp, &http}) {
    EXPECT_FALSE((*run)["fault_events"][0]["healed_at_s"].is_null()) << "SIGCONT was not sent";
  }
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

TEST(Replay, SameRandomSeedGivesTheSameScheduleInBothJournals) {
  const auto first = run_scenario("random.toml", {"--seed", "42"});
  const auto second = run_scenario("random.toml", {"--seed", "42"});
  const auto& a = first["fault_events"];
  const auto& b = second["fault_events"];
  ASSERT_GE(a.size(), 2u) << "the schedule drew too few faults to compare";
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["action"], b[i]["action"]) << i;
    EXPECT_EQ(a[i]["target"], b[i]["target"]) << i;
    // Injection times follow the schedule; only timer precision differs between runs.
    EXPECT_NEAR(a[i]["injected_at_s"].get<double>(), b[i]["injected_at_s"].get<double>(), 0.25) << i;
  }
  EXPECT_EQ(first["seed"], 42);
}

}  // namespace
}  // namespace lbchaos
