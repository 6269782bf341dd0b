#include "harness/model/timeline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace lbchaos::scenario {
namespace {

using traffic::ErrorClass;
using traffic::RequestRecord;

constexpr std::int64_t kStart = 3'000'000'000;  // the run's clock never starts at zero
constexpr std::int64_t kMs = 1'000'000;

class TimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_.traffic_start_ns = kStart;
    run_.steady_start_ns = kStart + 200 * kMs;
    run_.traffic_end_ns = kStart + 1000 * kMs;
    web1_ = run_.servers.id_of("app/web1");
    web2_ = run_.servers.id_of("app/web2");
  }

  // A request due `at_ms` after traffic start that took `took_ms` (from the intended time).
  void add(double at_ms, double took_ms, std::uint16_t status, std::uint16_t server,
           ErrorClass error = ErrorClass::kNone) {
    RequestRecord r;
    r.seq = static_cast<std::uint32_t>(run_.records.size());
    r.intended_ns = kStart + std::llround(at_ms * kMs);
    if (error != ErrorClass::kDropped) {
      r.sent_ns = r.intended_ns;
      r.done_ns = r.intended_ns + std::llround(took_ms * kMs);
    }
    r.status = status;
    r.server = server;
    r.error = error;
    run_.records.push_back(r);
  }

  RunRecording run_;
  std::uint16_t web1_ = 0;
  std::uint16_t web2_ = 0;
};

TEST_F(TimelineTest, CutsTheTrafficPeriodIntoHundredMillisecondBuckets) {
  const auto t = Timeline::build(run_);
  ASSERT_EQ(t.buckets().size(), 10u);
  EXPECT_EQ(t.buckets()[3].offset_ns, 300 * kMs);
  EXPECT_EQ(t.buckets()[3].sent(), 0);
  EXPECT_FALSE(t.buckets()[3].p50_ns.has_value());
}

TEST_F(TimelineTest, APartialLastBucketIsKept) {
  run_.traffic_end_ns = kStart + 1050 * kMs;
  EXPECT_EQ(Timeline::build(run_).buckets().size(), 11u);
}

TEST_F(TimelineTest, BucketsByIntendedTimeNotCompletion) {
  add(50, 900, 200, web1_);  // due in bucket 0, done in bucket 9
  const auto t = Timeline::build(run_);
  EXPECT_EQ(t.buckets()[0].sent(), 1);
  EXPECT_EQ(t.buckets()[0].outcomes.ok, 1);
  EXPECT_EQ(*t.buckets()[0].p99_ns, 900 * kMs);
  EXPECT_EQ(t.buckets()[9].sent(), 0);
}

TEST_F(TimelineTest, CountsEveryErrorClassAndDroppedRequestsAreSent) {
  add(110, 1, 200, web1_);
  add(120, 1, 404, web2_);                                   // 4xx is a success
  add(130, 1, 503, web2_);                                   // 5xx
  add(140, 1, 0, traffic::kUnknownServer, ErrorClass::kRefused);
  add(150, 1, 0, traffic::kUnknownServer, ErrorClass::kReset);
  add(160, 1, 0, traffic::kUnknownServer, ErrorClass::kTimeout);
  add(170, 0, 0, traffic::kUnknownServer, ErrorClass::kDropped);
  add(180, 1, 0, traffic::kUnknownServer, ErrorClass::kProtocol);  // other
  add(190, 1, 0, traffic::kUnknownServer);  // no status, no error: a TCP exchange that was answered
  const auto t = Timeline::build(run_);
  const auto& b = t.buckets()[1];
  EXPECT_EQ(b.sent(), 9);
  EXPECT_EQ(b.outcomes.ok, 3);
  EXPECT_EQ(b.outcomes.http_5xx, 1);
  EXPECT_EQ(b.outcomes.refused, 1);
  EXPECT_EQ(b.outcomes.reset, 1);
  EXPECT_EQ(b.outcomes.timeout, 1);
  EXPECT_EQ(b.outcomes.dropped, 1);
  EXPECT_EQ(b.outcomes.other, 1);
  EXPECT_EQ(b.outcomes.failed(), 6);
  EXPECT_EQ(b.per_server[web1_], 1);
  EXPECT_EQ(b.per_server[web2_], 2);  // the 5xx came from web2 too
}

TEST_F(TimelineTest, PercentilesAreExactOverSuccessfulRequestsOnly) {
  for (int i = 1; i <= 100; ++i) add(200 + i * 0.5, i, 200, web1_);  // 1..100 ms
  add(260, 5000, 0, traffic::kUnknownServer, ErrorClass::kTimeout);  // not a success
  const auto t = Timeline::build(run_);
  const auto& b = t.buckets()[2];
  EXPECT_EQ(*b.p50_ns, 50 * kMs);
  EXPECT_EQ(*b.p99_ns, 99 * kMs);
}

TEST_F(TimelineTest, RecordsOutsideTheTrafficPeriodAreCountedNotBucketed) {
  add(-1, 1, 200, web1_);
  add(1000, 1, 200, web1_);
  add(999, 1, 200, web1_);
  const auto t = Timeline::build(run_);
  EXPECT_EQ(t.records_outside(), 2);
  EXPECT_EQ(t.buckets()[9].sent(), 1);
}

TEST_F(TimelineTest, JsonHasTheJournalShape) {
  add(10, 2, 200, web1_);
  add(20, 4, 200, web2_);
  add(30, 1, 0, traffic::kUnknownServer, ErrorClass::kRefused);
  const auto j = Timeline::build(run_).to_json();
  EXPECT_DOUBLE_EQ(j["bucket_s"].get<double>(), 0.1);
  EXPECT_EQ(j["servers"], nlohmann::json({"app/web1", "app/web2"}));
  EXPECT_EQ(j["records_outside"], 0);
  ASSERT_EQ(j["buckets"].size(), 10u);
  const auto& b0 = j["buckets"][0];
  EXPECT_DOUBLE_EQ(b0["t_s"].get<double>(), 0.0);
  EXPECT_EQ(b0["sent"], 3);
  EXPECT_EQ(b0["ok"], 2);
  EXPECT_EQ(b0["errors"], nlohmann::json({{"refused", 1}, {"reset", 0}, {"timeout", 0},
                                          {"dropped", 0}, {"5xx", 0}, {"other", 0}}));
  EXPECT_DOUBLE_EQ(b0["p50_s"].get<double>(), 0.002);
  EXPECT_DOUBLE_EQ(b0["p99_s"].get<double>(), 0.004);
  EXPECT_EQ(b0["servers"], nlohmann::json({{"app/web1", 1}, {"app/web2", 1}}));
  const auto& b5 = j["buckets"][5];
  EXPECT_DOUBLE_EQ(b5["t_s"].get<double>(), 0.5);
  EXPECT_TRUE(b5["p50_s"].is_null());
  EXPECT_EQ(b5["servers"], nlohmann::json({{"app/web1", 0}, {"app/web2", 0}}));
}

TEST_F(TimelineTest, CountsSuccessesPerHaproxyInstance) {
  add(10, 2, 200, web1_);
  add(20, 2, 200, web2_);
  run_.records.back().instance = 1;
  add(30, 1, 503, web2_);  // a failure counts for no instance
  run_.records.back().instance = 1;
  const auto j = Timeline::build(run_).to_json();
  EXPECT_EQ(j["buckets"][0]["instances"], nlohmann::json({{"lb0", 1}, {"lb1", 1}}));
  EXPECT_EQ(j["buckets"][5]["instances"], nlohmann::json({{"lb0", 0}, {"lb1", 0}}));
}

TEST_F(TimelineTest, NoTrafficPeriodMeansNoBuckets) {
  run_.traffic_end_ns = run_.traffic_start_ns;
  add(0, 1, 200, web1_);
  const auto t = Timeline::build(run_);
  EXPECT_TRUE(t.buckets().empty());
  EXPECT_EQ(t.records_outside(), 1);
  EXPECT_TRUE(t.to_json()["buckets"].empty());
}

TEST(TimelineOutcomeCounts, DescribesOnlyTheFailuresThatHappened) {
  OutcomeCounts o;
  EXPECT_EQ(o.describe_failures(), "none");
  o.refused = 10;
  o.reset = 2;
  EXPECT_EQ(o.describe_failures(), "10 refused, 2 reset");
}

}  // namespace
}  // namespace lbchaos::scenario
