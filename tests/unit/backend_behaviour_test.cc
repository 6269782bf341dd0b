#include "harness/backend/behaviour.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lbchaos::backend {
namespace {

using namespace std::chrono_literals;

class BackendBehaviourTest : public ::testing::Test {
 protected:
  static BackendBehaviour start_up() {
    BackendBehaviour b;
    b.latency = 2ms;
    b.max_inflight = 8;
    b.overload = OverloadBehaviour::kReject;
    return b;
  }

  std::string run(std::string_view line) { return apply_control_command(state_, line); }

  // A command that must be refused and leave the behaviour exactly as it was.
  void expect_refused(std::string_view line) {
    const auto before = state_.current;
    const auto reply = run(line);
    EXPECT_TRUE(reply.starts_with("error: ")) << line << " -> " << reply;
    EXPECT_EQ(state_.current, before) << line;
  }

  BackendState state_ = make_backend_state("app/web1", start_up());
};

TEST_F(BackendBehaviourTest, PingAnswersPong) { EXPECT_EQ(run("ping"), "pong"); }

TEST_F(BackendBehaviourTest, GetReportsTheWholeStateAsOneJsonLine) {
  state_.counters.served = 7;
  state_.counters.errors_served = 2;
  state_.counters.inflight = 1;
  const auto reply = run("get");
  EXPECT_EQ(reply.find('\n'), std::string::npos);
  const auto json = nlohmann::json::parse(reply);
  EXPECT_EQ(json["name"], "app/web1");
  EXPECT_EQ(json["latency_ms"], 2.0);
  EXPECT_EQ(json["added_latency_ms"], 0.0);
  EXPECT_EQ(json["error_ratio"], 0.0);
  EXPECT_EQ(json["error_status"], 500);
  EXPECT_EQ(json["hang"], false);
  EXPECT_EQ(json["health_fail"], false);
  EXPECT_EQ(json["max_inflight"], 8);
  EXPECT_EQ(json["overload"], "reject");
  EXPECT_EQ(json["inflight"], 1);
  EXPECT_EQ(json["queued"], 0);
  EXPECT_EQ(json["served"], 7);
  EXPECT_EQ(json["errors_served"], 2);
  EXPECT_EQ(json["rejected"], 0);
}

TEST_F(BackendBehaviourTest, SetLatencyAddsToTheBaseServiceTime) {
  EXPECT_EQ(run("set latency 50ms"), "ok");
  EXPECT_EQ(state_.current.added_latency, 50ms);
  EXPECT_EQ(state_.current.latency, 2ms);
  EXPECT_EQ(state_.current.service_time(), 52ms);
  EXPECT_EQ(nlohmann::json::parse(run("get"))["added_latency_ms"], 50.0);
  EXPECT_EQ(run("set latency 0ms"), "ok");
  EXPECT_EQ(state_.current.service_time(), 2ms);
}

TEST_F(BackendBehaviourTest, SetErrorsTakesARatioAndAnOptionalStatus) {
  EXPECT_EQ(run("set errors 0.25 503"), "ok");
  EXPECT_DOUBLE_EQ(state_.current.error_ratio, 0.25);
  EXPECT_EQ(state_.current.error_status, 503);
  EXPECT_EQ(run("set errors 1"), "ok");
  EXPECT_DOUBLE_EQ(state_.current.error_ratio, 1.0);
  EXPECT_EQ(state_.current.error_status, 500) << "the status defaults to 500";
  EXPECT_EQ(run("set errors 0"), "ok");
  EXPECT_DOUBLE_EQ(state_.current.error_ratio, 0.0);
}

TEST_F(BackendBehaviourTest, SetHangAndHealthFailAreSwitches) {
  EXPECT_EQ(run("set hang on"), "ok");
  EXPECT_TRUE(state_.current.hang);
  EXPECT_EQ(run("set hang off"), "ok");
  EXPECT_FALSE(state_.current.hang);
  EXPECT_EQ(run("set health_fail on"), "ok");
  EXPECT_TRUE(state_.current.health_fail);
  EXPECT_TRUE(nlohmann::json::parse(run("get"))["health_fail"].get<bool>());
  EXPECT_EQ(run("set health_fail off"), "ok");
  EXPECT_FALSE(state_.current.health_fail);
}

TEST_F(BackendBehaviourTest, SetOverloadSetsTheLimitAndThePolicy) {
  EXPECT_EQ(run("set overload 1 crash"), "ok");
  EXPECT_EQ(state_.current.max_inflight, 1);
  EXPECT_EQ(state_.current.overload, OverloadBehaviour::kCrash);
  EXPECT_EQ(run("set overload 100 queue"), "ok");
  EXPECT_EQ(state_.current.max_inflight, 100);
  EXPECT_EQ(state_.current.overload, OverloadBehaviour::kQueue);
  EXPECT_EQ(nlohmann::json::parse(run("get"))["overload"], "queue");
}

TEST_F(BackendBehaviourTest, ToleratesExtraBlanksAndACarriageReturn) {
  EXPECT_EQ(run("  set   hang\ton \r"), "ok");
  EXPECT_TRUE(state_.current.hang);
  EXPECT_EQ(run("ping\r"), "pong");
}

TEST_F(BackendBehaviourTest, ResetRestoresTheStartUpBehaviourButKeepsCounters) {
  ASSERT_EQ(run("set latency 1s"), "ok");
  ASSERT_EQ(run("set errors 0.5 502"), "ok");
  ASSERT_EQ(run("set hang on"), "ok");
  ASSERT_EQ(run("set health_fail on"), "ok");
  ASSERT_EQ(run("set overload 1 crash"), "ok");
  state_.counters.served = 3;
  EXPECT_EQ(run("reset"), "ok");
  EXPECT_EQ(state_.current, start_up());
  EXPECT_EQ(state_.counters.served, 3u);
}

TEST_F(BackendBehaviourTest, RefusesUnknownAndMalformedCommands) {
  expect_refused("");
  expect_refused("   ");
  expect_refused("PING");
  expect_refused("ping now");
  expect_refused("get all");
  expect_refused("reset please");
  expect_refused("frobnicate");
  expect_refused("set");
  expect_refused("set colour blue");
}

TEST_F(BackendBehaviourTest, RefusesBadValues) {
  expect_refused("set latency");
  expect_refused("set latency 50");      // a duration names its unit
  expect_refused("set latency -5ms");
  expect_refused("set latency 5ms 6ms");
  expect_refused("set errors");
  expect_refused("set errors 1.5");
  expect_refused("set errors -0.1");
  expect_refused("set errors half");
  expect_refused("set errors nan");
  expect_refused("set errors 0.5 200");  // an error status is 4xx or 5xx
  expect_refused("set errors 0.5 600");
  expect_refused("set errors 0.5 50x");
  expect_refused("set errors 0.5 503 extra");
  expect_refused("set hang");
  expect_refused("set hang yes");
  expect_refused("set health_fail 1");
  expect_refused("set overload");
  expect_refused("set overload 0 queue");
  expect_refused("set overload -1 reject");
  expect_refused("set overload 4");
  expect_refused("set overload 4 explode");
  expect_refused("set overload queue 4");
}

TEST_F(BackendBehaviourTest, ErrorRepliesSayWhatIsExpected) {
  EXPECT_EQ(run("set errors 2"), "error: usage: set errors <ratio 0..1> [<status 400..599>]");
  EXPECT_EQ(run("launch"), "error: unknown command 'launch' (ping, get, set, reset)");
}

}  // namespace
}  // namespace lbchaos::backend
