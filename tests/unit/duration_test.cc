#include "harness/common/duration.h"

#include <gtest/gtest.h>

namespace lbchaos {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), Duration(250ms));
  EXPECT_EQ(parse_duration("2s"), Duration(2s));
  EXPECT_EQ(parse_duration("1.5s"), Duration(1500ms));
  EXPECT_EQ(parse_duration("1m"), Duration(60s));
  EXPECT_EQ(parse_duration("100us"), Duration(100us));
  EXPECT_EQ(parse_duration("1h"), Duration(3600s));
}

TEST(ParseDuration, RejectsMissingUnitsAndJunk) {
  EXPECT_FALSE(parse_duration("250"));
  EXPECT_FALSE(parse_duration("ms"));
  EXPECT_FALSE(parse_duration("2 s"));
  EXPECT_FALSE(parse_duration("-2s"));
  EXPECT_FALSE(parse_duration("2sec"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("1.2.3s"));
}

TEST(HaproxyDuration, UsesTheLargestExactUnit) {
  EXPECT_EQ(haproxy_duration(500ms), "500ms");
  EXPECT_EQ(haproxy_duration(2s), "2s");
  EXPECT_EQ(haproxy_duration(120s), "2m");
  EXPECT_EQ(haproxy_duration(1500ms), "1500ms");
  EXPECT_EQ(haproxy_duration(100us), "1ms");
}

}  // namespace
}  // namespace lbchaos
