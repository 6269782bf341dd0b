// errors, slow, health_fail, hang and overload on a built-in backend, seen from real traffic
// through real haproxy and from haproxy's own events; every heal puts the backend back as it
// was (tests/data/integration/faults/*.toml).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>

#include "tests/integration/support/fault_journal.h"

namespace lbchaos {
namespace {

using namespace test_support;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

// Traffic in the first moments after an injection or a heal may already have been on its way.
constexpr double kSettle = 0.3;
const std::string kWeb1 = "app/web1";

TEST(BackendFault, ErrorsRatioOneMakesWeb1Answer503UntilHealed) {
  const auto run = run_fault_scenario("errors.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set errors 1 503 on app/web1; its undo: set errors 0 500"));
  EXPECT_THAT(fault.detail, HasSubstr("healed: set errors 0 500 on app/web1"));

  const auto during = traffic_window(s, fault.injected_s + kSettle, fault.healed_s);
  const auto after = traffic_window(s, fault.healed_s + kSettle, traffic_end_s(s));
  std::cout << "during: " << during << "\nafter:  " << after << "\n";
  // /health still passes, so web1 stays in rotation, and haproxy does not retry a 503 (retry-on
  // is conn-failure by default): web1's third of the traffic fails, and nothing else does.
  const double failed = static_cast<double>(during.http_5xx) / static_cast<double>(during.sent);
  EXPECT_GT(failed, 0.2);
  EXPECT_LT(failed, 0.5);
  EXPECT_GT(during.share(kWeb1), 0.25);
  EXPECT_EQ(during.http_5xx, during.server(kWeb1)) << "every 503 names web1 and vice versa";
  EXPECT_EQ(after.http_5xx, 0);
  EXPECT_GT(after.share(kWeb1), 0.25);
  EXPECT_TRUE(haproxy_events(s, kWeb1, "DOWN").empty()) << all_events(s);
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(BackendFault, SlowAddsItsDelayToTheMedianUntilHealed) {
  const auto run = run_fault_scenario("slow.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set latency 200ms on app/web1; its undo: set latency 0ms"));
  EXPECT_THAT(fault.detail, HasSubstr("healed: set latency 0ms on app/web1"));

  const auto before = traffic_window(s, 0.5, fault.injected_s);
  const auto during = traffic_window(s, fault.injected_s + kSettle, fault.healed_s);
  const auto after = traffic_window(s, fault.healed_s + kSettle, traffic_end_s(s));
  std::cout << "before: " << before << "\nduring: " << during << "\nafter:  " << after << "\n";
  // web1 serves two requests in three, so the window's median is one of its answers.
  EXPECT_GE(during.median_p50(), 0.2);
  EXPECT_LT(before.median_p50(), 0.1);
  EXPECT_LT(after.median_p50(), 0.1);
  EXPECT_EQ(during.http_5xx, 0) << "slower, not failing";
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(BackendFault, HealthFailGetsWeb1MarkedDownWhileItsTrafficSucceeds) {
  const auto run = run_fault_scenario("health_fail.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set health_fail on on app/web1"));
  EXPECT_THAT(fault.detail, HasSubstr("healed: set health_fail off on app/web1"));

  const auto down = first_event_after(s, kWeb1, "DOWN", fault.injected_s);
  ASSERT_FALSE(down.is_null()) << all_events(s);
  const double down_at = down["at_s"].get<double>();
  std::cout << "DOWN " << down_at - fault.injected_s << " s after the fault: " << down << "\n";
  // fall 2 at inter 200ms: two failed checks, the second at least 200ms after the first.
  EXPECT_GE(down_at - fault.injected_s, 0.15);
  EXPECT_LT(down_at, fault.healed_s);
  const auto up = first_event_after(s, kWeb1, "UP", fault.healed_s);
  ASSERT_FALSE(up.is_null()) << all_events(s);
  std::cout << "UP " << up["at_s"].get<double>() - fault.healed_s << " s after the heal\n";

  // Until haproxy's checks caught it, web1 kept serving, and successfully: only /health failed.
  const auto unnoticed = traffic_window(s, fault.injected_s, down_at);
  const auto out = traffic_window(s, down_at + kSettle, fault.healed_s);
  const auto back = traffic_window(s, up["at_s"].get<double>() + kSettle, traffic_end_s(s));
  const auto all = traffic_window(s, 0, traffic_end_s(s));
  std::cout << "unnoticed: " << unnoticed << "\nout: " << out << "\nback: " << back << "\n";
  EXPECT_EQ(all.http_5xx, 0);
  EXPECT_EQ(out.server(kWeb1), 0);
  EXPECT_GT(back.server(kWeb1), 0);
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(BackendFault, HangBehindTimedHttpChecksGetsWeb1MarkedDown) {
  const auto run = run_fault_scenario("hang.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set hang on on app/web1"));
  EXPECT_THAT(fault.detail, HasSubstr("healed: set hang off on app/web1"));

  const auto down = first_event_after(s, kWeb1, "DOWN", fault.injected_s);
  ASSERT_FALSE(down.is_null()) << all_events(s);
  const double detected = down["at_s"].get<double>() - fault.injected_s;
  std::cout << "DOWN " << detected << " s after the hang: " << down << "\n";
  // Two checks must each wait out `timeout check` (300ms) before fall 2 is reached.
  EXPECT_GE(detected, 0.5);
  const auto up = first_event_after(s, kWeb1, "UP", fault.healed_s);
  ASSERT_FALSE(up.is_null()) << all_events(s);

  // The requests web1 took before it was marked DOWN were held until the heal.
  const auto held = traffic_window(s, fault.injected_s, fault.injected_s + detected);
  const auto back = traffic_window(s, up["at_s"].get<double>() + kSettle, traffic_end_s(s));
  std::cout << "held: " << held << "\nback: " << back << "\n";
  EXPECT_GE(held.max_p99(), 1.0);
  EXPECT_GT(back.server(kWeb1), 0);
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(BackendFault, OverloadWithCrashEndsWeb1AndTheHealStartsItAgain) {
  const auto run = run_fault_scenario("overload_crash.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set overload 1 crash on app/web1; its undo: set overload "
                                      "64 queue"));
  EXPECT_THAT(fault.detail, HasSubstr("app/web1 had exited"));
  EXPECT_THAT(fault.detail, HasSubstr("started app/web1 again"));
  std::cout << fault.detail << "\n";

  const auto down = first_event_after(s, kWeb1, "DOWN", fault.injected_s);
  ASSERT_FALSE(down.is_null()) << all_events(s);
  EXPECT_LT(down["at_s"].get<double>(), fault.healed_s);
  const auto up = first_event_after(s, kWeb1, "UP", fault.healed_s);
  ASSERT_FALSE(up.is_null()) << all_events(s);
  const auto out = traffic_window(s, down["at_s"].get<double>() + kSettle, fault.healed_s);
  const auto back = traffic_window(s, up["at_s"].get<double>() + kSettle, traffic_end_s(s));
  std::cout << "out: " << out << "\nback: " << back << "\n";
  EXPECT_EQ(out.server(kWeb1), 0);
  EXPECT_GT(back.share(kWeb1), 0.2);
  EXPECT_EQ(run.leftover_processes, 0U);
}

// Without crash, web1 keeps its topology's policy beyond the new capacity: queue (slow) or
// reject (503). Either way its health checks stay green, and the heal restores its capacity.
TEST(BackendFault, OverloadWithoutCrashQueuesOnWeb1UntilHealed) {
  const auto run = run_fault_scenario("overload_queue.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set overload 1 queue on app/web1; its undo: set overload "
                                      "64 queue"));
  EXPECT_THAT(fault.detail, HasSubstr("healed: set overload 64 queue on app/web1"));

  const auto before = traffic_window(s, 0.5, fault.injected_s);
  const auto late_in_fault = traffic_window(s, fault.injected_s + 1.0, fault.healed_s);
  const auto after = traffic_window(s, fault.healed_s + kSettle, traffic_end_s(s));
  std::cout << "before: " << before << "\nlate in the fault: " << late_in_fault
            << "\nafter: " << after << "\n";
  // 50 requests/s for a capacity of 20: the queue grows by 30/s, so web1's requests wait far
  // longer than its 50ms service time (predicted up to ~1.7 s, cut short by the heal), and
  // none is lost. A busy machine only adds to the wait.
  constexpr double kServiceTime = 0.05;
  EXPECT_GT(late_in_fault.max_p99(), 10 * kServiceTime);
  EXPECT_GT(late_in_fault.max_p99(), 2 * before.max_p99());
  EXPECT_EQ(late_in_fault.ok, late_in_fault.sent);
  EXPECT_GT(late_in_fault.share(kWeb1), 0.25) << "still in rotation";
  // Healed: the queue drains at once and latency is back where it was.
  EXPECT_EQ(after.ok, after.sent);
  EXPECT_LT(after.max_p99(), late_in_fault.max_p99() / 2);
  EXPECT_TRUE(haproxy_events(s, kWeb1, "DOWN").empty()) << all_events(s);
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(BackendFault, OverloadWithoutCrashRejectsWithA503OnWeb1UntilHealed) {
  const auto run = run_fault_scenario("overload_reject.toml");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto& s = run.scenario;
  const auto fault = fault_times(s);
  EXPECT_THAT(fault.detail, HasSubstr("set overload 1 reject on app/web1; its undo: set overload "
                                      "64 reject"));

  const auto during = traffic_window(s, fault.injected_s + kSettle, fault.healed_s);
  const auto after = traffic_window(s, fault.healed_s + kSettle, traffic_end_s(s));
  std::cout << "during: " << during << "\nafter: " << after << "\n";
  // Only web1's answers are 503s, and it still answers some in time.
  EXPECT_GT(during.http_5xx, 0);
  EXPECT_LT(during.http_5xx, during.server(kWeb1));
  EXPECT_EQ(during.ok + during.http_5xx, during.sent);
  EXPECT_EQ(after.http_5xx, 0);
  EXPECT_EQ(after.ok, after.sent);
  EXPECT_GT(after.share(kWeb1), 0.25);
  EXPECT_TRUE(haproxy_events(s, kWeb1, "DOWN").empty()) << all_events(s);
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(BackendFault, OnACommandBackendIsAnInputErrorAtTheFault) {
  const auto run = run_fault_scenario("errors_on_command_backend.toml");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, ContainsRegex("errors_on_command_backend.toml:[0-9]+:[0-9]+: errors "
                                        "needs a built-in backend; app/web2 is a command "
                                        "backend"));
  EXPECT_EQ(run.leftover_processes, 0U);
}

}  // namespace
}  // namespace lbchaos
