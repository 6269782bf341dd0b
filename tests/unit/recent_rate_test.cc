#include "harness/traffic/recent_rate.h"

#include <gtest/gtest.h>

#include <vector>

namespace lbchaos::traffic {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSecond = 1'000'000'000;

// Open-loop records every 1/rate s in [from_s, to_s), each sent `lag_s` after it was due.
void add_sent(std::vector<RequestRecord>& records, double from_s, double to_s, double rate,
              double lag_s = 0.001) {
  for (double t = from_s; t < to_s - 1e-9; t += 1.0 / rate) {
    RequestRecord r;
    r.seq = static_cast<std::uint32_t>(records.size());
    r.intended_ns = static_cast<std::int64_t>(t * 1e9);
    r.sent_ns = r.intended_ns + static_cast<std::int64_t>(lag_s * 1e9);
    records.push_back(r);
  }
}

TEST(RecentSendRate, IsTheRateOfTheLastSecondNotTheAverageSinceTheStart) {
  std::vector<RequestRecord> records;
  add_sent(records, 0, 9, 1000);   // 9 s at 1000 req/s...
  add_sent(records, 9, 10, 100);   // ...then the generator sends only 100/s
  EXPECT_NEAR(recent_send_rate(records, 10 * kSecond, 0), 100, 1);
  EXPECT_NEAR(recent_send_rate(records, 9 * kSecond, 0), 1000, 1);
}

TEST(RecentSendRate, BeforeAFullWindowIsTheRateSoFar) {
  std::vector<RequestRecord> records;
  add_sent(records, 5, 5.5, 200);
  EXPECT_NEAR(recent_send_rate(records, static_cast<std::int64_t>(5.5 * kSecond), 5 * kSecond),
              200, 2);
  EXPECT_EQ(recent_send_rate(records, 5 * kSecond, 5 * kSecond), 0) << "no time has passed";
  EXPECT_EQ(recent_send_rate({}, 7 * kSecond, 5 * kSecond), 0);
}

TEST(RecentSendRate, DroppedAndUnsentRequestsAreNotSends) {
  std::vector<RequestRecord> records;
  add_sent(records, 0, 2, 100);
  for (std::size_t i = 0; i < records.size(); i += 2) records[i].sent_ns = 0;  // dropped
  EXPECT_NEAR(recent_send_rate(records, 2 * kSecond, 0), 50, 1);
}

TEST(RecentSendRate, LateSendsCountWhenTheyHappen) {
  std::vector<RequestRecord> records;
  add_sent(records, 0, 1, 100, 0.5);  // a 0.5 s stall: every send half a second late
  EXPECT_NEAR(recent_send_rate(records, 1 * kSecond, 0), 50, 1);
  EXPECT_NEAR(recent_send_rate(records, static_cast<std::int64_t>(1.5 * kSecond), 0), 100, 1);
}

}  // namespace
}  // namespace lbchaos::traffic
