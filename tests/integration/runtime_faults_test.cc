// set_weight, drain, maint and health_down through haproxy's runtime API, seen from real
// traffic through real haproxy: what the fault does to the distribution while it is in, and
// that its heal puts the server back as it was (tests/data/integration/faults/*.toml).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>

#include "tests/integration/support/fault_journal.h"

namespace lbchaos {
namespace {

using namespace test_support;
using ::testing::HasSubstr;

// Traffic in the first moments after an injection or a heal may already have been on its way.
constexpr double kSettle = 0.3;
const std::string kWeb1 = "app/web1";

void expect_clean(const FaultRun& run) {
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(RuntimeFault, SetWeightTenPercentShrinksWeb1ShareUntilHealed) {
  const auto run = run_fault_scenario("set_weight.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  // haproxy applies 10% to the initial weight 100; the journal says what it became.
  EXPECT_THAT(fault.detail, HasSubstr("set weight app/web1 10%"));
  EXPECT_THAT(fault.detail, HasSubstr("lb0: weight 100 -> 10 (initial 100)"));
  EXPECT_THAT(fault.detail, HasSubstr("healed: lb0: set weight app/web1 100 (weight 100 again)"));

  const auto before = traffic_window(s, 0.5, fault.injected_s);
  const auto during = traffic_window(s, fault.injected_s + kSettle, fault.healed_s);
  const auto after = traffic_window(s, fault.healed_s + kSettle, traffic_end_s(s));
  std::cout << "before: " << before << "\nduring: " << during << "\nafter:  " << after << "\n";
  // Expected shares: a third; 10 / (10 + 100 + 100) = 4.8%; a third again.
  EXPECT_GT(before.share(kWeb1), 0.25);
  EXPECT_LT(during.share(kWeb1), 0.12);
  EXPECT_GT(during.server(kWeb1), 0) << "weight 10 is not 0: web1 still gets some";
  EXPECT_GT(after.share(kWeb1), 0.25);
  EXPECT_EQ(during.http_5xx + after.http_5xx, 0);
  expect_clean(run);
}

// maint and drain: no new request reaches web1 while the fault is in, and it serves again
// after the heal. The journal carries haproxy's own account of the state change.
void expect_out_of_traffic_until_healed(const FaultRun& run, const std::string& state,
                                        const std::string& haproxy_state) {
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set server app/web1 state " + state));
  EXPECT_THAT(fault.detail, HasSubstr("lb0: state ready -> " + state));
  EXPECT_THAT(fault.detail, HasSubstr("healed: lb0: set server app/web1 state ready"));

  const auto during = traffic_window(s, fault.injected_s + kSettle, fault.healed_s);
  const auto after = traffic_window(s, fault.healed_s + kSettle, traffic_end_s(s));
  std::cout << "during: " << during << "\nafter:  " << after << "\n";
  EXPECT_GT(during.sent, 300);
  EXPECT_EQ(during.server(kWeb1), 0);
  EXPECT_EQ(during.http_5xx, 0);
  EXPECT_GT(after.server(kWeb1), 0);
  EXPECT_GT(after.share(kWeb1), 0.2);

  const auto entered = first_event_after(s, kWeb1, haproxy_state, fault.injected_s - 0.05);
  ASSERT_FALSE(entered.is_null()) << all_events(s);
  EXPECT_LT(entered["at_s"].get<double>(), fault.healed_s);
  const auto back = first_event_after(s, kWeb1, "UP", fault.healed_s - 0.05);
  EXPECT_FALSE(back.is_null()) << all_events(s);
  expect_clean(run);
}

TEST(RuntimeFault, MaintTakesWeb1OutOfTrafficUntilHealed) {
  expect_out_of_traffic_until_healed(run_fault_scenario("maint.toml"), "maint", "MAINT");
}

TEST(RuntimeFault, DrainSendsWeb1NoNewRequestsUntilHealed) {
  expect_out_of_traffic_until_healed(run_fault_scenario("drain.toml"), "drain", "DRAIN");
}

TEST(RuntimeFault, HealthDownMarksWeb1DownInHaproxyUntilHealed) {
  const auto run = run_fault_scenario("health_down.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set server app/web1 health down"));
  EXPECT_THAT(fault.detail, HasSubstr("lb0: health up -> down"));
  EXPECT_THAT(fault.detail, HasSubstr("healed: lb0: set server app/web1 health up"));

  const auto down = first_event_after(s, kWeb1, "DOWN", fault.injected_s - 0.05);
  ASSERT_FALSE(down.is_null()) << all_events(s);
  EXPECT_THAT(down["reason"].get<std::string>(), HasSubstr("changed from CLI"));
  EXPECT_LT(down["at_s"].get<double>(), fault.healed_s);
  // No health checks in this topology: only the heal brings it back.
  const auto up = first_event_after(s, kWeb1, "UP", fault.injected_s);
  ASSERT_FALSE(up.is_null()) << all_events(s);
  EXPECT_GE(up["at_s"].get<double>(), fault.healed_s - 0.05);
  EXPECT_THAT(up["reason"].get<std::string>(), HasSubstr("changed from CLI"));

  const auto during = traffic_window(s, fault.injected_s + kSettle, fault.healed_s);
  const auto after = traffic_window(s, fault.healed_s + kSettle, traffic_end_s(s));
  std::cout << "during: " << during << "\nafter:  " << after << "\n";
  EXPECT_EQ(during.server(kWeb1), 0);
  EXPECT_GT(after.share(kWeb1), 0.2);
  expect_clean(run);
}

TEST(RuntimeFault, HaproxyRefusingTheCommandIsAnEnvironmentErrorNamingCommandAndReply) {
  const auto run = run_fault_scenario("set_weight_static_rr.toml");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_THAT(run.output, HasSubstr("to 'set weight app/web1 50%'"));
  EXPECT_THAT(run.output, HasSubstr("static LB algorithm"));
  expect_clean(run);
}

}  // namespace
}  // namespace lbchaos
