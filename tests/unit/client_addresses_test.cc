#include "harness/traffic/client_addresses.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

namespace lbchaos::traffic {
namespace {

TEST(ClientAddressesTest, StartAt127_0_0_2AndSkipNetworkAndBroadcastHostParts) {
  const auto addresses = client_addresses(600);
  ASSERT_EQ(addresses.size(), 600u);
  EXPECT_EQ(addresses.front().to_string(), "127.0.0.2");
  EXPECT_EQ(addresses[252].to_string(), "127.0.0.254");
  EXPECT_EQ(addresses[253].to_string(), "127.0.1.1");
  std::set<std::string> distinct;
  for (const auto& address : addresses) {
    const auto bytes = address.to_bytes();
    EXPECT_EQ(bytes[0], 127);
    EXPECT_NE(bytes[3], 0);
    EXPECT_NE(bytes[3], 255);
    distinct.insert(address.to_string());
  }
  EXPECT_EQ(distinct.size(), 600u);
}

TEST(ClientAddressesTest, RejectsCountsOutOfRange) {
  EXPECT_THROW(client_addresses(0), std::invalid_argument);
  EXPECT_THROW(client_addresses(kMaxClients + 1), std::invalid_argument);
  EXPECT_EQ(client_addresses(kMaxClients).back().to_bytes()[0], 127);
}

}  // namespace
}  // namespace lbchaos::traffic
