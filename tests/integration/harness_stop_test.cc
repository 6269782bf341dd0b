// However the harness stops, no fault outlives it: SIGTERM heals every active fault, the last
// injected first, and a SIGKILLed harness leaves no process behind — not even a frozen one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kHeal = std::string(LBCHAOS_TEST_DATA) + "/integration/heal/";

TEST(HarnessStop, SigtermHealsEveryActiveFaultLastInjectedFirst) {
  TempDir dir;
  LbchaosProcess lbchaos(
      {"run", kHeal + "two_faults_then_sigterm.toml", "--json", (dir / "journal.json").string()},
      dir.path());
  ASSERT_TRUE(eventually(
      [&] { return lbchaos.err().find("fault: latency app/web2") != std::string::npos; }, 30s))
      << lbchaos.output();
  lbchaos.signal(SIGTERM);
  EXPECT_EQ(lbchaos.exit_code(30s), 1) << lbchaos.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 5s));
  EXPECT_TRUE(run_directories_in(dir.path()).empty());

  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  const auto& scenario = journal["scenarios"][0];
  EXPECT_EQ(scenario["outcome"], "interrupted");
  const auto& faults = scenario["fault_events"];
  ASSERT_EQ(faults.size(), 2U) << faults.dump();
  EXPECT_EQ(faults[0]["action"], "maint");
  EXPECT_EQ(faults[1]["action"], "latency");
  for (const auto& fault : faults) {
    ASSERT_FALSE(fault["healed_at_s"].is_null()) << fault.dump();
    EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("healed"));
  }
  EXPECT_LE(faults[1]["healed_at_s"].get<double>(), faults[0]["healed_at_s"].get<double>())
      << "the latency (injected last) must be healed before the maint";
  // The heal log lines come in the same order.
  const std::string err = lbchaos.err();
  EXPECT_LT(err.find("heal: latency app/web2"), err.find("heal: maint app/web1")) << err;
}

TEST(HarnessStop, SigkilledHarnessLeavesNoFrozenNodeBehind) {
  TempDir dir;
  {
    LbchaosProcess lbchaos({"run", kHeal + "long_pause.toml"}, dir.path());
    ASSERT_TRUE(eventually(
        [&] { return lbchaos.err().find("fault: pause app/web1") != std::string::npos; }, 30s))
        << lbchaos.output();
    ASSERT_FALSE(processes_of_run(dir.path().string()).empty());
    lbchaos.signal(SIGKILL);
    EXPECT_EQ(lbchaos.exit_code(10s), -1);  // killed, not exited
  }
  // Every node dies with the harness (parent-death signal), the SIGSTOPped one included.
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 10s))
      << processes_of_run(dir.path().string()).size() << " process(es) of the run remain";
  // The next run removes the run directory the killed harness left.
  ASSERT_EQ(run_directories_in(dir.path()).size(), 1U);
  LbchaosProcess next({"check", kHeal + "long_pause.toml"}, dir.path());
  EXPECT_EQ(next.exit_code(60s), 0) << next.output();
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

}  // namespace
}  // namespace lbchaos
