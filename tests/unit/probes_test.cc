#include "harness/probes/probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "faults/catalogue.h"

namespace lbchaos::probes {
namespace {

using scenario::Expectation;
using scenario::RunRecording;
using scenario::Window;
using traffic::ErrorClass;
using traffic::RequestRecord;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr std::int64_t kBase = 7'000'000'000;  // the monotonic clock never starts at zero

std::int64_t at(double s) { return kBase + std::llround(s * 1e9); }

// Builds a synthetic RunRecording with times in seconds from traffic start.
class RunBuilder {
 public:
  explicit RunBuilder(double duration_s = 10, double warmup_s = 1) {
    run_.traffic_start_ns = at(0);
    run_.steady_start_ns = at(warmup_s);
    run_.traffic_end_ns = at(duration_s);
  }

  // A response from `server` to a request due at `t`, done `latency_s` later.
  RunBuilder& served(double t, std::string_view server, double latency_s = 0.002,
                     std::uint16_t status = 200) {
    RequestRecord r;
    r.intended_ns = r.sent_ns = at(t);
    r.done_ns = at(t + latency_s);
    r.status = status;
    r.server = run_.servers.id_of(server);
    run_.records.push_back(r);
    return *this;
  }

  // A request due at `t` that failed `after_s` later (dropped ones were never sent).
  RunBuilder& failed(double t, ErrorClass error, double after_s = 0.001) {
    RequestRecord r;
    r.intended_ns = at(t);
    if (error != ErrorClass::kDropped) {
      r.sent_ns = r.intended_ns;
      r.done_ns = at(t + after_s);
    }
    r.error = error;
    run_.records.push_back(r);
    return *this;
  }

  // Open-loop traffic every 1/rate s in [from, to), spread round-robin over `servers`.
  RunBuilder& steady(double from, double to, double rate, const std::vector<std::string>& servers,
                     double latency_s = 0.002) {
    for (std::size_t i = 0; from + static_cast<double>(i) / rate < to - 1e-9; ++i) {
      served(from + static_cast<double>(i) / rate, servers[i % servers.size()], latency_s);
    }
    return *this;
  }

  RunBuilder& failing(double from, double to, double rate, ErrorClass error) {
    for (std::size_t i = 0; from + static_cast<double>(i) / rate < to - 1e-9; ++i) {
      failed(from + static_cast<double>(i) / rate, error);
    }
    return *this;
  }

  // The event the runner records for this fault: effects and verb from the fault catalogue.
  RunBuilder& fault(std::string action, std::string target, double injected_s,
                    std::optional<double> healed_s = std::nullopt,
                    scenario::FaultSpec spec = {}) {
    spec.action = std::move(action);
    spec.target = std::move(target);
    scenario::FaultEvent f = faults::event_for(spec);
    f.injected_ns = at(injected_s);
    if (healed_s) f.healed_ns = at(*healed_s);
    run_.faults.push_back(f);
    return *this;
  }

  // config_corrupt on lb0, applied by `apply` ("reload" or "restart").
  RunBuilder& bad_config(std::string apply, double injected_s,
                         std::optional<double> healed_s = std::nullopt) {
    scenario::FaultSpec spec;
    spec.params["apply"] = std::move(apply);
    fault("config_corrupt", "lb0", injected_s, healed_s, std::move(spec));
    return *this;
  }

  RunBuilder& state(std::string server, std::string state, double t, int instance = 0) {
    run_.haproxy_events.push_back({at(t), instance, std::move(server), std::move(state), ""});
    return *this;
  }

  RunBuilder& reload(double t, bool accepted, bool old_worker_kept, std::string detail = "") {
    run_.reloads.push_back({at(t), 0, accepted, old_worker_kept, std::move(detail)});
    return *this;
  }

  RunRecording build() {
    std::stable_sort(run_.records.begin(), run_.records.end(),
                     [](const auto& a, const auto& b) { return a.intended_ns < b.intended_ns; });
    for (std::size_t i = 0; i < run_.records.size(); ++i) {
      run_.records[i].seq = static_cast<std::uint32_t>(i);
    }
    return run_;
  }

 private:
  RunRecording run_;
};

struct Threshold {
  std::optional<double> at_least;
  std::optional<double> at_most;
};

Expectation expect(std::string probe, Threshold threshold, Window during = Window::kAll,
                   std::string target = "") {
  Expectation e;
  e.probe = std::move(probe);
  e.during = during;
  e.target = std::move(target);
  e.at_least = threshold.at_least;
  e.at_most = threshold.at_most;
  return e;
}

Threshold at_least(double v) { return {v, std::nullopt}; }
Threshold at_most(double v) { return {std::nullopt, v}; }

// Three equal web servers, checks every 500 ms (fastinter 200 ms), two failures to go DOWN.
topology::Topology three_web() {
  topology::Topology t;
  t.name = "three-web";
  topology::Backend app;
  app.name = "app";
  app.check.inter = 500ms;
  app.check.fastinter = 200ms;
  app.check.fall = 2;
  for (const char* name : {"web1", "web2", "web3"}) {
    topology::Server s;
    s.name = name;
    app.servers.push_back(s);
  }
  t.backends.push_back(app);
  return t;
}

const std::vector<std::string> kWebs{"app/web1", "app/web2", "app/web3"};

ProbeResult run_probe(const Expectation& e, const RunRecording& run,
                      const topology::Topology& topology = three_web()) {
  return evaluate(e, run, topology);
}

void expect_error(const ProbeResult& r, const std::string& why) {
  EXPECT_EQ(r.verdict, ProbeResult::kError) << r.detail;
  EXPECT_TRUE(std::isnan(r.measured)) << r.measured;
  EXPECT_THAT(r.detail, HasSubstr(why));
}

// ---- availability -------------------------------------------------------------------------

TEST(AvailabilityProbe, PassesWhenEveryRequestSucceeds) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).build();
  const auto r = run_probe(expect("availability", at_least(0.995)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_DOUBLE_EQ(r.measured, 1.0);
  EXPECT_EQ(r.unit, "ratio");
  EXPECT_EQ(r.comparison, "at_least");
  EXPECT_EQ(*r.threshold, 0.995);
  EXPECT_EQ(r.window, "all");
  EXPECT_EQ(r.detail, "100.00% of 1000 requests due in the all window succeeded (none failed)");
}

TEST(AvailabilityProbe, FailsAndCountsDroppedRequests) {
  const auto run = RunBuilder()
                       .steady(0, 10, 99, kWebs)
                       .failed(5, ErrorClass::kRefused)
                       .failed(5.1, ErrorClass::kDropped)
                       .failed(5.2, ErrorClass::kDropped)
                       .build();
  const auto r = run_probe(expect("availability", at_least(0.999)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_DOUBLE_EQ(r.measured, 990.0 / 993.0);
  EXPECT_THAT(r.detail, HasSubstr("3 failed: 1 refused, 2 dropped"));
}

TEST(AvailabilityProbe, SteadyWindowSkipsWarmup) {
  const auto run =
      RunBuilder(10, 2).failing(0, 2, 50, ErrorClass::kRefused).steady(2, 10, 50, kWebs).build();
  EXPECT_EQ(run_probe(expect("availability", at_least(1.0), Window::kSteady), run).verdict,
            ProbeResult::kPass);
  EXPECT_EQ(run_probe(expect("availability", at_least(0.9), Window::kAll), run).verdict,
            ProbeResult::kFail);
}

TEST(AvailabilityProbe, NoTrafficInTheWindowIsAnError) {
  const auto run = RunBuilder(10, 2).steady(0, 2, 50, kWebs).build();
  expect_error(run_probe(expect("availability", at_least(0.99), Window::kSteady), run),
               "no request was due in the steady window (+2.00 s to +10.00 s)");
}

TEST(AvailabilityProbe, FaultWindowRunsFromInjectionToHeal) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .failing(4, 4.5, 100, ErrorClass::kReset)
                       .fault("kill", "app/web1", 3, 6)
                       .build();
  const auto r = run_probe(expect("availability", at_least(0.5), Window::kFault), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_DOUBLE_EQ(r.measured, 300.0 / 350.0);
}

TEST(AvailabilityProbe, FaultWindowOfAFaultThatNeverHealsRunsToTheEnd) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .failing(8, 10, 100, ErrorClass::kRefused)
                       .fault("kill", "app/web1", 6)
                       .build();
  const auto r = run_probe(expect("availability", at_least(0.5), Window::kFault), run);
  EXPECT_DOUBLE_EQ(r.measured, 400.0 / 600.0);
}

TEST(AvailabilityProbe, WindowsThatNeedAFaultWithoutOneAreErrors) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).build();
  expect_error(run_probe(expect("availability", at_least(0.9), Window::kFault), run),
               "no fault was injected, so there is no fault window");
  expect_error(run_probe(expect("availability", at_least(0.9), Window::kRecovery), run),
               "no fault was injected, so there is no recovery window");
}

TEST(AvailabilityProbe, RecoveryWindowOfAFaultThatNeverHealsIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).fault("kill", "app/web1", 3).build();
  expect_error(run_probe(expect("availability", at_least(0.9), Window::kRecovery), run),
               "the kill fault on app/web1 was never healed, so there is no recovery window");
}

TEST(AvailabilityProbe, RecoveryWindowStartsAtTheLastHeal) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .failing(4, 5, 100, ErrorClass::kReset)
                       .fault("kill", "app/web1", 3, 4)
                       .fault("kill", "app/web2", 4, 5)
                       .build();
  const auto r = run_probe(expect("availability", at_least(1.0), Window::kRecovery), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("of 500 requests"));
}

// ---- latency ------------------------------------------------------------------------------

TEST(LatencyProbe, PassesUnderTheThreshold) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs, 0.004).build();
  auto e = expect("latency", at_most(0.010));
  e.percentile = 99;
  const auto r = run_probe(e, run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 0.004, 1e-9);
  EXPECT_EQ(r.unit, "s");
  EXPECT_THAT(r.detail, HasSubstr("p99 latency from the intended send time was 4.0 ms over the "
                                  "1000 successful requests"));
}

TEST(LatencyProbe, MeasuresFromTheIntendedSendTime) {
  // A stall: 20 requests were sent 1 s late. Raw latency looks fine; corrected does not.
  auto builder = RunBuilder().steady(0, 10, 100, kWebs, 0.002);
  auto run = builder.build();
  for (std::size_t i = 100; i < 120; ++i) {
    run.records[i].sent_ns = run.records[i].intended_ns + 1'000'000'000;
    run.records[i].done_ns = run.records[i].sent_ns + 2'000'000;
  }
  auto e = expect("latency", at_most(0.1));
  e.percentile = 99;
  const auto r = run_probe(e, run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 1.002, 1e-9);
  EXPECT_THAT(r.detail, HasSubstr("(2.0 ms from the actual send"));
}

TEST(LatencyProbe, OnlySuccessfulRequestsCount) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs, 0.002)
                       .failed(5, ErrorClass::kTimeout, 5.0)
                       .build();
  auto e = expect("latency", at_most(0.01));
  e.percentile = 99.9;
  const auto r = run_probe(e, run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("p99.9 latency"));
  EXPECT_THAT(r.detail, HasSubstr("1 failed request not counted"));
}

TEST(LatencyProbe, NoSuccessfulRequestIsAnError) {
  const auto run = RunBuilder().failing(0, 10, 10, ErrorClass::kRefused).build();
  expect_error(run_probe(expect("latency", at_most(0.1)), run),
               "none of the 100 requests due in the all window succeeded");
}

TEST(LatencyProbe, NoTrafficIsAnError) {
  const auto run = RunBuilder().build();
  expect_error(run_probe(expect("latency", at_most(0.1)), run), "no request was due");
}

// ---- error_count --------------------------------------------------------------------------

TEST(ErrorCountProbe, PassesWithNoErrors) {
  const auto run = RunBuilder().steady(0, 10, 50, kWebs).build();
  const auto r = run_probe(expect("error_count", at_most(0)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_EQ(r.measured, 0);
  EXPECT_EQ(r.unit, "count");
  EXPECT_EQ(r.detail, "0 of 500 requests due in the all window failed");
}

TEST(ErrorCountProbe, FailsAndBreaksErrorsDownByClass) {
  const auto run = RunBuilder()
                       .steady(0, 10, 50, kWebs)
                       .failing(3, 3.1, 100, ErrorClass::kReset)
                       .served(4, "app/web2", 0.001, 503)
                       .build();
  const auto r = run_probe(expect("error_count", at_most(5)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_EQ(r.measured, 11);
  EXPECT_THAT(r.detail,
              HasSubstr("11 of 511 requests due in the all window failed (10 reset, 1 5xx)"));
}

TEST(ErrorCountProbe, NoTrafficIsAnError) {
  expect_error(run_probe(expect("error_count", at_most(0)), RunBuilder().build()),
               "no request was due in the all window");
}

// ---- failover_time ------------------------------------------------------------------------

TEST(FailoverTimeProbe, PassesWhenTrafficMovesAwayQuickly) {
  const auto run = RunBuilder()
                       .steady(0, 5.3, 100, kWebs)
                       .steady(5.3, 10, 100, {"app/web2", "app/web3"})
                       .failing(5.0, 5.4, 20, ErrorClass::kReset)
                       .fault("kill", "app/web1", 5.0, 8.0)
                       .build();
  const auto r = run_probe(expect("failover_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 0.351, 0.002);
  EXPECT_EQ(r.target, "app/web1");
  EXPECT_EQ(r.detail,
            "app/web1 kept receiving traffic for 0.28 s after it was killed; 8 requests failed, "
            "the last 0.35 s after the fault");
}

TEST(FailoverTimeProbe, FailsWhenTheTargetKeepsGettingTraffic) {
  const auto run = RunBuilder()
                       .steady(0, 7, 100, kWebs)
                       .steady(7, 10, 100, {"app/web2", "app/web3"})
                       .fault("blackhole", "app/web1", 5.0, 9.0)
                       .build();
  const auto r = run_probe(expect("failover_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 1.99, 0.02);
  EXPECT_THAT(r.detail, HasSubstr("after the blackhole fault was injected; no request failed"));
}

TEST(FailoverTimeProbe, ErrorsAfterTheHealAreNotTheFailover) {
  const auto run = RunBuilder()
                       .steady(0, 5, 100, kWebs)
                       .steady(5, 10, 100, {"app/web2", "app/web3"})
                       .failed(5.1, ErrorClass::kRefused)
                       .failed(9.0, ErrorClass::kRefused)
                       .fault("kill", "app/web1", 5.0, 8.0)
                       .build();
  const auto r = run_probe(expect("failover_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 0.101, 1e-6);
  EXPECT_THAT(r.detail, HasSubstr("app/web1 received no traffic after it was killed"));
}

TEST(FailoverTimeProbe, AFaultThatNeverHealsIsWatchedToTheEnd) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .fault("kill", "app/web1", 5.0)
                       .build();
  const auto r = run_probe(expect("failover_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_GT(r.measured, 4.9);
}

TEST(FailoverTimeProbe, TargetWithoutAFaultIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).fault("kill", "app/web2", 5).build();
  expect_error(run_probe(expect("failover_time", at_most(1.0), Window::kAll, "app/web1"), run),
               "no fault targeted app/web1, so there is no failover to time");
  expect_error(run_probe(expect("failover_time", at_most(1.0)), run), "needs a target server");
}

// ---- recovery_time ------------------------------------------------------------------------

TEST(RecoveryTimeProbe, PassesWhenTheTargetServesSoonAfterTheHeal) {
  const auto run = RunBuilder()
                       .steady(0, 5, 90, kWebs)
                       .steady(5, 8.5, 100, {"app/web2", "app/web3"})
                       .steady(8.5, 10, 90, kWebs)
                       .fault("kill", "app/web1", 5, 8)
                       .build();
  const auto r = run_probe(expect("recovery_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 0.502, 1e-6);
  EXPECT_EQ(r.detail,
            "app/web1 served a successful request again 0.50 s after the heal (at +8.50 s)");
}

TEST(RecoveryTimeProbe, FailsWhenTheTargetTakesTooLong) {
  const auto run = RunBuilder()
                       .steady(0, 5, 90, kWebs)
                       .steady(5, 9.5, 100, {"app/web2", "app/web3"})
                       .steady(9.5, 10, 90, kWebs)
                       .fault("kill", "app/web1", 5, 6)
                       .build();
  const auto r = run_probe(expect("recovery_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 3.502, 1e-6);
}

TEST(RecoveryTimeProbe, NeverServingAgainFails) {
  const auto run = RunBuilder()
                       .steady(0, 5, 90, kWebs)
                       .steady(5, 10, 100, {"app/web2", "app/web3"})
                       .served(7, "app/web1", 0.001, 503)  // a 5xx is not recovery
                       .fault("kill", "app/web1", 5, 6)
                       .build();
  const auto r = run_probe(expect("recovery_time", at_most(100.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_DOUBLE_EQ(r.measured, 4.0);
  EXPECT_EQ(r.detail, "app/web1 served no successful request in the 4.00 s between the heal and "
                      "the end of traffic");
}

TEST(RecoveryTimeProbe, AnEmptyServerNeverRecovers) {
  // web3 is in the topology and was never in a record at all.
  const auto run = RunBuilder()
                       .steady(0, 10, 100, {"app/web1", "app/web2"})
                       .fault("kill", "app/web3", 2, 4)
                       .build();
  const auto r = run_probe(expect("recovery_time", at_most(1.0), Window::kAll, "app/web3"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_THAT(r.detail, HasSubstr("app/web3 served no successful request"));
}

TEST(RecoveryTimeProbe, AFaultThatNeverHealsIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).fault("kill", "app/web1", 5).build();
  expect_error(run_probe(expect("recovery_time", at_most(1.0), Window::kAll, "app/web1"), run),
               "the kill fault on app/web1 was never healed, so there is no recovery to time");
}

TEST(RecoveryTimeProbe, AHealAfterTrafficEndedIsAnError) {
  const auto run =
      RunBuilder().steady(0, 10, 100, kWebs).fault("kill", "app/web1", 5, 10.5).build();
  expect_error(run_probe(expect("recovery_time", at_most(1.0), Window::kAll, "app/web1"), run),
               "app/web1 was healed at +10.50 s, after traffic ended at +10.00 s");
}

TEST(RecoveryTimeProbe, TargetWithoutAFaultIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).build();
  expect_error(run_probe(expect("recovery_time", at_most(1.0), Window::kAll, "app/web1"), run),
               "no fault targeted app/web1");
}

// ---- detection_time -----------------------------------------------------------------------

TEST(DetectionTimeProbe, PassesAndShowsThePrediction) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .fault("kill", "app/web1", 5, 8)
                       .state("app/web1", "DOWN", 5.9, 1)
                       .state("app/web1", "DOWN", 5.45, 0)
                       .state("app/web1", "UP", 8.4, 0)
                       .build();
  const auto r = run_probe(expect("detection_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 0.45, 1e-9);
  EXPECT_EQ(r.detail, "haproxy marked app/web1 DOWN 0.45 s after it was killed "
                      "(predicted 0.20–0.70 s)");
}

TEST(DetectionTimeProbe, FailsWhenDetectionIsSlow) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .fault("kill", "app/web1", 5, 8)
                       .state("app/web1", "DOWN", 1.0)  // before the fault: not this one
                       .state("app/web1", "DOWN", 6.5, 1)
                       .build();
  const auto r = run_probe(expect("detection_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 1.5, 1e-9);
  EXPECT_THAT(r.detail, HasSubstr("haproxy instance 1 marked app/web1 DOWN 1.50 s"));
}

TEST(DetectionTimeProbe, NeverMarkedDownFails) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .fault("blackhole", "app/web1", 5, 8)
                       .state("app/web2", "DOWN", 5.5)
                       .build();
  const auto r = run_probe(expect("detection_time", at_most(5.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_DOUBLE_EQ(r.measured, 3.0);
  // A hanging check adds fall * check timeout (inter, when unset): 0.2 + 2 * 0.5 = 1.2.
  EXPECT_EQ(r.detail, "haproxy never marked app/web1 DOWN in the 3.00 s after the blackhole fault "
                      "was injected (predicted 1.20–1.70 s)");
}

TEST(DetectionTimeProbe, AFaultThatNeverHealsIsWatchedToTheEnd) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .fault("kill", "app/web1", 5)
                       .state("app/web1", "DOWN", 9.5)
                       .build();
  const auto r = run_probe(expect("detection_time", at_most(1.0), Window::kAll, "app/web1"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 4.5, 1e-9);
}

TEST(DetectionTimeProbe, NoPredictionForAUserConfig) {
  auto topology = three_web();
  topology.haproxy.config = "/etc/haproxy/haproxy.cfg";
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .fault("kill", "app/web1", 5, 8)
                       .state("app/web1", "DOWN", 5.3)
                       .build();
  const auto r =
      run_probe(expect("detection_time", at_most(1.0), Window::kAll, "app/web1"), run, topology);
  EXPECT_EQ(r.detail, "haproxy marked app/web1 DOWN 0.30 s after it was killed");
}

TEST(DetectionTimeProbe, TargetWithoutAFaultIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).state("app/web1", "DOWN", 5).build();
  expect_error(run_probe(expect("detection_time", at_most(1.0), Window::kAll, "app/web1"), run),
               "no fault targeted app/web1, so there is no detection to time");
}

// ---- distribution -------------------------------------------------------------------------

TEST(DistributionProbe, PassesWhenSharesFollowCapacity) {
  const auto run = RunBuilder().steady(0, 10, 90, kWebs).build();
  const auto r = run_probe(expect("distribution", at_most(0.05)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 0.0, 1e-9);
  EXPECT_EQ(r.target, "app");
  EXPECT_EQ(r.detail, "over 900 successful requests to app in the all window: web1 33.3% "
                      "(expected 33.3%), web2 33.3% (expected 33.3%), web3 33.3% (expected 33.3%)");
}

TEST(DistributionProbe, FailsWhenOneServerTakesMostOfTheTraffic) {
  auto builder =
      RunBuilder().steady(0, 10, 100, {"app/web1"}).steady(0, 10, 22, {"app/web2", "app/web3"});
  const auto r = run_probe(expect("distribution", at_most(0.05)), builder.build());
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 1000.0 / 1220.0 - 1.0 / 3.0, 1e-9);
  EXPECT_THAT(r.detail, HasSubstr("web1 82.0% (expected 33.3%)"));
}

TEST(DistributionProbe, ExpectedSharesComeFromCapacities) {
  auto topology = three_web();
  topology.backends[0].servers[0].capacity = 2.0;
  const auto run =
      RunBuilder().steady(0, 10, 100, {"app/web1", "app/web1", "app/web2", "app/web3"}).build();
  const auto r =
      run_probe(expect("distribution", at_most(0.01), Window::kAll, "app"), run, topology);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("web1 50.0% (expected 50.0%), web2 25.0% (expected 25.0%)"));
}

// The config under test may be wrong (seed 004: a wrong weight on a small server); the expected
// shares must come from what the servers can take, never from the weights being tested.
TEST(DistributionProbe, WeightsThatDisagreeWithCapacitiesDoNotMoveTheExpectedShares) {
  auto topology = three_web();
  auto& servers = topology.backends[0].servers;
  servers[0].capacity = 2.0;
  servers[0].weight = 100;
  servers[1].weight = 100;
  servers[2].weight = 400;

  // Traffic that follows the capacities (2:1:1) passes, whatever the weights say.
  const auto by_capacity =
      RunBuilder().steady(0, 10, 100, {"app/web1", "app/web1", "app/web2", "app/web3"}).build();
  const auto pass =
      run_probe(expect("distribution", at_most(0.01), Window::kAll, "app"), by_capacity, topology);
  EXPECT_EQ(pass.verdict, ProbeResult::kPass) << pass.detail;
  EXPECT_THAT(pass.detail, HasSubstr("web1 50.0% (expected 50.0%), web2 25.0% (expected 25.0%), "
                                     "web3 25.0% (expected 25.0%)"));

  // Traffic that follows the weights (1:1:4) is judged against the capacities, and fails.
  const auto by_weight = RunBuilder()
                             .steady(0, 10, 120,
                                     {"app/web1", "app/web2", "app/web3", "app/web3", "app/web3",
                                      "app/web3"})
                             .build();
  const auto fail =
      run_probe(expect("distribution", at_most(0.05), Window::kAll, "app"), by_weight, topology);
  EXPECT_EQ(fail.verdict, ProbeResult::kFail) << fail.detail;
  EXPECT_NEAR(fail.measured, 4.0 / 6.0 - 0.25, 1e-9) << "web3 took 66.7% for an expected 25%";
  EXPECT_THAT(fail.detail, HasSubstr("web1 16.7% (expected 50.0%)"));
  EXPECT_THAT(fail.detail, HasSubstr("web3 66.7% (expected 25.0%)"));
}

TEST(DistributionProbe, AnEmptyServerIsAFailure) {
  const auto run = RunBuilder().steady(0, 10, 100, {"app/web1", "app/web2"}).build();
  const auto r = run_probe(expect("distribution", at_most(0.1)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 1.0 / 3.0, 1e-9);
  EXPECT_THAT(r.detail, HasSubstr("web3 0.0% (expected 33.3%)"));
}

TEST(DistributionProbe, BackupServersAreExpectedToTakeNothing) {
  auto topology = three_web();
  topology.backends[0].servers[2].backup = true;
  const auto run = RunBuilder().steady(0, 10, 100, {"app/web1", "app/web2"}).build();
  const auto r = run_probe(expect("distribution", at_most(0.01)), run, topology);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("web3 0.0% (expected 0.0%)"));
}

TEST(DistributionProbe, BelowMinSamplesIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 5, kWebs).build();
  auto e = expect("distribution", at_most(0.05));
  e.min_samples = 100;
  expect_error(run_probe(e, run), "only 50 successful requests in the all window were served by "
                                  "app; distribution needs at least 100");
}

TEST(DistributionProbe, RequestsWithoutAServerNameAreNotSamples) {
  auto builder = RunBuilder().steady(0, 10, 5, kWebs);
  auto run = builder.build();
  for (int i = 0; i < 500; ++i) {
    RequestRecord r;
    r.intended_ns = r.sent_ns = at(i * 0.01);
    r.done_ns = r.intended_ns + 1'000'000;
    r.status = 200;
    run.records.push_back(r);  // server stays kUnknownServer
  }
  expect_error(run_probe(expect("distribution", at_most(0.05)), run),
               "(and 500 successful responses with no known server: no X-Lbchaos-Server "
               "header, no haproxy log line naming a server that answered)");
}

TEST(DistributionProbe, NoTrafficInTheWindowIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).fault("kill", "app/web1", 3, 11).build();
  expect_error(run_probe(expect("distribution", at_most(0.05), Window::kRecovery), run),
               "the last heal came at +11.00 s, after traffic ended at +10.00 s, so the recovery "
               "window is empty");
}

TEST(DistributionProbe, UnknownBackendIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).build();
  expect_error(run_probe(expect("distribution", at_most(0.05), Window::kAll, "api"), run),
               "the topology has no backend named 'api'");
}

// ---- reload_rejected ----------------------------------------------------------------------

TEST(ReloadRejectedProbe, PassesWhenEveryBadReloadWasRefused) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .fault("config_corrupt", "lb0", 4, 6)
                       .reload(4, false, true)
                       .reload(5, false, true)
                       .build();
  const auto r = run_probe(expect("reload_rejected", {}, Window::kFault), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_EQ(r.measured, 2);
  EXPECT_EQ(r.detail, "all 2 reloads in the fault window were refused and the old worker kept "
                      "serving");
}

TEST(ReloadRejectedProbe, FailsWhenABadReloadWasAccepted) {
  const auto run = RunBuilder()
                       .steady(0, 10, 100, kWebs)
                       .reload(4, false, true)
                       .reload(5, true, false, "new worker started")
                       .build();
  const auto r = run_probe(expect("reload_rejected", {}), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_EQ(r.measured, 1);
  EXPECT_EQ(r.detail, "the reload at +5.00 s (instance 0) was accepted: the bad config is running "
                      "(new worker started); 1 of 2 reloads refused with the old worker kept");
}

TEST(ReloadRejectedProbe, FailsWhenTheOldWorkerDidNotSurvive) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).reload(4, false, false).build();
  const auto r = run_probe(expect("reload_rejected", {}), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_THAT(r.detail, HasSubstr("was refused but the old worker did not keep serving"));
}

TEST(ReloadRejectedProbe, NoReloadInTheWindowIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).reload(0.5, false, true).build();
  expect_error(run_probe(expect("reload_rejected", {}, Window::kSteady), run),
               "no reload was attempted in the steady window");
}

// ---- mttr ---------------------------------------------------------------------------------

TEST(MttrProbe, PassesWhenServiceComesBackQuickly) {
  const auto run = RunBuilder()
                       .steady(0, 4, 100, kWebs)
                       .failing(4, 6, 100, ErrorClass::kRefused)
                       .steady(6, 10, 100, kWebs)
                       .fault("lb_kill", "lb0", 4, 5.8)
                       .build();
  const auto r = run_probe(expect("mttr", at_most(3.0)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 2.002, 1e-6);
  EXPECT_EQ(r.target, "lb0");
  EXPECT_EQ(r.detail, "service restored 2.00 s after lb0 was killed (first successful request, "
                      "0.20 s after the restore); 200 requests failed in between");
}

TEST(MttrProbe, FailsWhenServiceTakesTooLong) {
  const auto run = RunBuilder()
                       .steady(0, 4, 100, kWebs)
                       .failing(4, 8, 100, ErrorClass::kRefused)
                       .steady(8, 10, 100, kWebs)
                       .fault("lb_kill", "lb0", 4, 7.5)
                       .build();
  const auto r = run_probe(expect("mttr", at_most(3.0), Window::kAll, "lb0"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_NEAR(r.measured, 4.002, 1e-6);
}

TEST(MttrProbe, NeverRestoredFails) {
  const auto run = RunBuilder()
                       .steady(0, 4, 100, kWebs)
                       .failing(4, 10, 100, ErrorClass::kRefused)
                       .fault("lb_kill", "lb0", 4)
                       .build();
  const auto r = run_probe(expect("mttr", at_most(30.0)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_DOUBLE_EQ(r.measured, 6.0);
  EXPECT_EQ(r.detail, "service was not restored: no request sent in the 6.00 s after lb0 was "
                      "killed succeeded");
}

TEST(MttrProbe, NoLbKillIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).fault("lb_kill", "lb1", 4, 5).build();
  expect_error(run_probe(expect("mttr", at_most(3.0), Window::kAll, "lb0"), run),
               "no lb_kill fault on lb0 in this run");
  expect_error(
      run_probe(expect("mttr", at_most(3.0)), RunBuilder().steady(0, 10, 10, kWebs).build()),
      "no lb_kill fault in this run");
}

TEST(MttrProbe, BadConfigByRestartCountsFromTheFaultToTheFirstSuccessOnceTheGoodConfigIsBack) {
  const auto run = RunBuilder()
                       .steady(0, 4, 100, kWebs)
                       .served(4.001, "app/web1")  // in flight while the old haproxy stopped
                       .failing(4.01, 7.2, 100, ErrorClass::kRefused)
                       .steady(7.2, 10, 100, kWebs)
                       .bad_config("restart", 4, 7)
                       .build();
  const auto r = run_probe(expect("mttr", at_most(4.0), Window::kAll, "lb0"), run);
  EXPECT_EQ(r.verdict, ProbeResult::kPass) << r.detail;
  EXPECT_NEAR(r.measured, 3.202, 1e-6);
  EXPECT_EQ(r.target, "lb0");
  EXPECT_EQ(r.detail, "service restored 3.20 s after the bad config was applied to lb0 by "
                      "restart (first successful request, 0.20 s after the good config was "
                      "back); 319 requests failed in between");
}

TEST(MttrProbe, BadConfigByRestartNeverRepairedFails) {
  const auto run = RunBuilder()
                       .steady(0, 4, 100, kWebs)
                       .failing(4, 10, 100, ErrorClass::kRefused)
                       .bad_config("restart", 4)
                       .build();
  const auto r = run_probe(expect("mttr", at_most(30.0)), run);
  EXPECT_EQ(r.verdict, ProbeResult::kFail);
  EXPECT_DOUBLE_EQ(r.measured, 6.0);
  EXPECT_EQ(r.detail, "service was not restored: the good config was not put back in the 6.00 s "
                      "after the bad config was applied to lb0 by restart");
}

TEST(MttrProbe, BadConfigByReloadIsNoOutageToMeasure) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).bad_config("reload", 4, 6).build();
  expect_error(run_probe(expect("mttr", at_most(3.0)), run),
               "no lb_kill fault in this run (nor a config_corrupt applied by restart)");
}

// ---- dispatch and thresholds --------------------------------------------------------------

TEST(ProbeDispatch, UnknownProbeIsAnError) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).build();
  expect_error(run_probe(expect("throughput", at_least(1.0)), run), "unknown probe 'throughput'");
}

TEST(ProbeDispatch, AProbeWithoutOneThresholdCannotJudge) {
  const auto run = RunBuilder().steady(0, 10, 100, kWebs).build();
  const auto none = run_probe(expect("availability", {}), run);
  EXPECT_EQ(none.verdict, ProbeResult::kError);
  EXPECT_DOUBLE_EQ(none.measured, 1.0);  // still measured, for the report
  EXPECT_THAT(none.detail, HasSubstr("needs exactly one of at_least or at_most"));
  const auto both = run_probe(expect("availability", {0.9, 1.0}), run);
  EXPECT_EQ(both.verdict, ProbeResult::kError);
  EXPECT_FALSE(both.threshold.has_value());
}

TEST(ProbeDispatch, ThresholdsAreInclusive) {
  const auto run =
      RunBuilder().steady(0, 10, 100, kWebs).failing(5, 5.05, 100, ErrorClass::kReset).build();
  EXPECT_EQ(run_probe(expect("error_count", at_most(5)), run).verdict, ProbeResult::kPass);
  EXPECT_EQ(run_probe(expect("availability", at_least(1000.0 / 1005.0)), run).verdict,
            ProbeResult::kPass);
}

TEST(ProbeDispatch, VerdictNames) {
  EXPECT_EQ(to_string(ProbeResult::kPass), "pass");
  EXPECT_EQ(to_string(ProbeResult::kFail), "fail");
  EXPECT_EQ(to_string(ProbeResult::kError), "error");
}

}  // namespace
}  // namespace lbchaos::probes
