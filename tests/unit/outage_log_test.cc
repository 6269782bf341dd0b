#include <gtest/gtest.h>

#include "harness/alerting/alert_events.h"

namespace lbchaos::alerting {
namespace {

TEST(OutageLog, AMissOpensAnOutageFromTheLastAnswerAndTheNextAnswerClosesIt) {
  std::vector<EngineOutage> outages;
  OutageLog log("prometheus", outages);
  log.answered(100);
  log.answered(200);
  EXPECT_TRUE(log.failed(300, "GET /api/v1/alerts: connection refused"));
  EXPECT_FALSE(log.failed(400, "prometheus (pid 7) exited: killed by SIGKILL"));  // same outage
  EXPECT_TRUE(log.out());
  ASSERT_EQ(outages.size(), 1u);
  EXPECT_EQ(outages[0].component, "prometheus");
  EXPECT_EQ(outages[0].from_ns, 200);
  EXPECT_FALSE(outages[0].until_ns);
  EXPECT_EQ(outages[0].why, "prometheus (pid 7) exited: killed by SIGKILL") << "the latest reason";

  log.answered(500);
  EXPECT_FALSE(log.out());
  EXPECT_EQ(outages[0].until_ns, 500);
  EXPECT_TRUE(log.failed(600, "GET /api/v1/alerts: timeout"));
  ASSERT_EQ(outages.size(), 2u);
  EXPECT_EQ(outages[1].from_ns, 500);
}

TEST(OutageLog, AMissBeforeAnyAnswerStartsAtTheMiss) {
  std::vector<EngineOutage> outages;
  OutageLog log("alertmanager", outages);
  EXPECT_TRUE(log.failed(300, "GET /-/ready: HTTP 503"));
  ASSERT_EQ(outages.size(), 1u);
  EXPECT_EQ(outages[0].from_ns, 300);
}

}  // namespace
}  // namespace lbchaos::alerting
