// The journal records a scenario as it ran: every fault with the parameters it ran with, and
// an abort with its time and reason.
#include <gtest/gtest.h>

#include "harness/report/json_journal.h"
#include "harness/scenario/result.h"

namespace lbchaos::report {
namespace {

using namespace std::chrono_literals;
using scenario::ScenarioResult;

class JournalAsRun : public ::testing::Test {
 protected:
  JournalAsRun() {
    scenario_.name = "faults with parameters";
    result_.scenario = &scenario_;
    result_.outcome = ScenarioResult::Outcome::kFailed;
  }
  nlohmann::json scenario_json() { return journal_json({result_})["scenarios"][0]; }

  scenario::Scenario scenario_;
  ScenarioResult result_;
};

TEST_F(JournalAsRun, FaultsCarryTheParametersTheyRanWith) {
  scenario::FaultSpec latency;
  latency.at = 2s;
  latency.action = "latency";
  latency.target = "app/web1";
  latency.params["latency"] = Duration(200ms);
  latency.params["direction"] = std::string("down");
  latency.params["toxicity"] = 0.5;
  scenario::FaultSpec errors;
  errors.action = "errors";
  errors.target = "app/web2";
  errors.params["ratio"] = 0.25;
  errors.params["status"] = std::int64_t{503};
  scenario::FaultSpec corrupt;
  corrupt.action = "config_corrupt";
  corrupt.target = "lb0";
  corrupt.params["mode"] = std::string("truncated");
  corrupt.params["apply"] = std::string("restart");
  scenario::FaultSpec kill;
  kill.action = "kill";
  kill.target = "app/web3";
  scenario_.faults = {latency, errors, corrupt, kill};

  const auto faults = scenario_json()["scenario"]["faults"];
  EXPECT_EQ(faults[0]["params"],
            (nlohmann::json{{"latency_s", 0.2}, {"direction", "down"}, {"toxicity", 0.5}}));
  EXPECT_EQ(faults[1]["params"], (nlohmann::json{{"ratio", 0.25}, {"status", 503}}));
  EXPECT_EQ(faults[2]["params"], (nlohmann::json{{"mode", "truncated"}, {"apply", "restart"}}));
  EXPECT_EQ(faults[3]["params"], nlohmann::json::object());
}

TEST_F(JournalAsRun, AnAbortIsRecordedWithItsTimeAndReason) {
  EXPECT_TRUE(scenario_json()["aborted"].is_null());
  result_.recording.traffic_start_ns = 1'000'000'000;
  result_.abort_ns = 5'500'000'000;
  result_.abort_reason = "error_count: 21 requests failed, more than the 20 allowed";
  const auto aborted = scenario_json()["aborted"];
  EXPECT_DOUBLE_EQ(aborted["at_s"].get<double>(), 4.5);
  EXPECT_EQ(aborted["reason"], result_.abort_reason);
}

}  // namespace
}  // namespace lbchaos::report
