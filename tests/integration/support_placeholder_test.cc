#include <gtest/gtest.h>
#include <filesystem>

TEST(IntegrationSetup, BinaryWasBuilt) { EXPECT_TRUE(std::filesystem::exists(LBCHAOS_BINARY)); }
