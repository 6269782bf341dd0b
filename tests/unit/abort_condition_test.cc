#include "harness/scenario/abort_condition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lbchaos::scenario {
namespace {

using ::testing::HasSubstr;

Expectation error_budget(double at_most) {
  Expectation e;
  e.probe = "error_count";
  e.at_most = at_most;
  e.abort = true;
  return e;
}

Expectation availability(double at_least) {
  Expectation e;
  e.probe = "availability";
  e.at_least = at_least;
  e.abort = true;
  return e;
}

TEST(AbortCondition, ErrorCountAbortsOnlyPastItsBudget) {
  EXPECT_FALSE(abort_reason(error_budget(20), 20, 1000));
  const auto reason = abort_reason(error_budget(20), 21, 1000);
  ASSERT_TRUE(reason);
  EXPECT_THAT(*reason, HasSubstr("21 requests failed, more than the 20 allowed"));
}

TEST(AbortCondition, AvailabilityAbortsOnceItCanNoLongerReachItsThreshold) {
  // 99% of 1000 requests: 10 failures still allow exactly 99%, the 11th settles the verdict.
  EXPECT_FALSE(abort_reason(availability(0.99), 10, 1000));
  const auto reason = abort_reason(availability(0.99), 11, 1000);
  ASSERT_TRUE(reason);
  EXPECT_THAT(*reason, HasSubstr("11 of the 1000 requests due have failed"));
  EXPECT_THAT(*reason, HasSubstr("98.90%"));
}

TEST(AbortCondition, NoTrafficDueNeverAborts) {
  EXPECT_FALSE(abort_reason(availability(0.99), 0, 0));
}

TEST(AbortCondition, OnlySettledVerdictsMayAbort) {
  Expectation latency;
  latency.probe = "latency";
  latency.at_most = 0.2;
  ASSERT_TRUE(abort_not_supported(latency));
  EXPECT_THAT(*abort_not_supported(latency), HasSubstr("not latency"));
  EXPECT_FALSE(abort_reason(latency, 1000, 1000));

  // A lower bound on errors only gets closer to passing: it cannot abort.
  Expectation at_least_errors;
  at_least_errors.probe = "error_count";
  at_least_errors.at_least = 5;
  EXPECT_TRUE(abort_not_supported(at_least_errors));

  Expectation steady = error_budget(5);
  steady.during = Window::kSteady;
  ASSERT_TRUE(abort_not_supported(steady));
  EXPECT_THAT(*abort_not_supported(steady), HasSubstr("during = \"all\""));

  EXPECT_FALSE(abort_not_supported(error_budget(5)));
  EXPECT_FALSE(abort_not_supported(availability(0.9)));
}

}  // namespace
}  // namespace lbchaos::scenario
