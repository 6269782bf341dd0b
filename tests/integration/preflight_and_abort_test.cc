// Two ways a run stops early, both through the real binary: invalid input found by the
// pre-flight check (exit 2 before any scenario of the folder starts a node), and a
// probe-triggered abort (`abort = true`: the error budget is spent, so the run stops, heals
// and reports FAIL without waiting for the end of traffic).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kData = std::string(LBCHAOS_TEST_DATA) + "/integration/";

TEST(Preflight, AFaultThatCannotApplyStopsTheWholeFolderBeforeAnythingStarts) {
  TempDir dir;
  LbchaosProcess lbchaos({"run", kData + "preflight"}, dir.path());
  EXPECT_EQ(lbchaos.exit_code(60s), 2) << lbchaos.output();
  EXPECT_THAT(lbchaos.err(), ContainsRegex("b_fault_cannot_apply.toml:[0-9]+:[0-9]+: errors "
                                           "needs a built-in backend; app/web2 is a command "
                                           "backend"));
  // a_steady.toml comes first in the folder and is valid, yet it never ran.
  EXPECT_THAT(lbchaos.out(), Not(HasSubstr("steady traffic, nothing broken")));
  EXPECT_THAT(lbchaos.err(), Not(HasSubstr("listening after")));
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

TEST(Preflight, CheckFindsAFaultThatCannotApply) {
  TempDir dir;
  LbchaosProcess lbchaos({"check", kData + "preflight/b_fault_cannot_apply.toml"}, dir.path());
  EXPECT_EQ(lbchaos.exit_code(60s), 2) << lbchaos.output();
  EXPECT_THAT(lbchaos.out(), HasSubstr("FAIL"));
  EXPECT_THAT(lbchaos.err(), HasSubstr("errors needs a built-in backend"));

  LbchaosProcess valid({"check", kData + "preflight/a_steady.toml"}, dir.path());
  EXPECT_EQ(valid.exit_code(60s), 0) << valid.output();
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

TEST(Abort, SpentErrorBudgetStopsTheRunEarlyHealsAndFails) {
  TempDir dir;
  LbchaosProcess lbchaos({"run", kData + "scenarios/abort_on_errors.toml", "--json",
                          (dir / "journal.json").string()},
                         dir.path());
  EXPECT_EQ(lbchaos.exit_code(120s), 1) << lbchaos.output();
  EXPECT_THAT(lbchaos.out(), HasSubstr("aborted at +"));
  EXPECT_THAT(lbchaos.out(), HasSubstr("0 of 1 scenario(s) passed, 1 aborted"));
  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  const auto& scenario = journal["scenarios"][0];
  EXPECT_EQ(scenario["outcome"], "failed");

  // The kill lands at 2 s; without checks or redispatch a third of the requests fail from then
  // on, so the 20-request budget is spent within seconds, not at the end of 30 s of traffic.
  ASSERT_TRUE(scenario["aborted"].is_object()) << scenario["aborted"];
  const double aborted_at = scenario["aborted"]["at_s"].get<double>();
  EXPECT_GT(aborted_at, 2.0);
  EXPECT_LT(aborted_at, 20.0);
  EXPECT_THAT(scenario["aborted"]["reason"].get<std::string>(), HasSubstr("error_count"));
  EXPECT_LT(scenario["requests"].get<int>(), 150 * 20);

  // The kill was healed even though traffic stopped early, and both verdicts fail.
  EXPECT_FALSE(scenario["fault_events"][0]["healed_at_s"].is_null());
  for (const auto& p : scenario["probes"]) EXPECT_EQ(p["verdict"], "fail") << p["probe"];
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 5s));
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

}  // namespace
}  // namespace lbchaos
