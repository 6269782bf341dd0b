// The user's own haproxy.cfg: served through as written (binds and servers moved to loopback),
// and never modified on disk.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "tests/integration/support/http_client.h"
#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kData = std::string(LBCHAOS_TEST_DATA) + "/";

TEST(UserConfig, UpServesThroughTheUsersConfigAndLeavesTheFileUntouched) {
  const auto config_path = kData + "haproxy/production.cfg";
  const std::string before = read_file(config_path);
  TempDir dir;
  LbchaosProcess lbchaos({"up", kData + "integration/user_config_production.toml",
                          "--ready-file", (dir / "ready.json").string()},
                         dir.path());
  const auto ready = wait_ready_file(lbchaos, dir / "ready.json");
  ASSERT_TRUE(ready) << lbchaos.output();

  // A node for every server of the user's config, all on loopback.
  std::set<std::string> nodes;
  for (const auto& node : (*ready)["nodes"]) nodes.insert(node["name"].get<std::string>());
  EXPECT_EQ(nodes, (std::set<std::string>{"app/app1", "app/app2", "app/app3", "admin_api/api1",
                                          "admin_api/api2", "static/cdn1", "static/cdn2"}));

  // Both binds of frontend www and the listen section's bind answer, through the user's rules.
  const auto& frontends = (*ready)["instances"][0]["frontends"];
  for (const char* key : {"www", "www#2"}) {
    const auto url = parse_url(frontends[key].get<std::string>());
    const auto app = http_get(url.host, url.port, "/");
    EXPECT_EQ(app.status, 200) << key;
    EXPECT_THAT(app.header("X-Lbchaos-Server"), HasSubstr("app/")) << key;
    const auto image = http_get(url.host, url.port, "/images/logo.png");
    EXPECT_EQ(image.status, 200) << key;
    EXPECT_EQ(image.header("X-Lbchaos-Server"), "static/cdn1") << "use_backend static; cdn2 is backup";
  }
  const auto api = parse_url(frontends["admin_api"].get<std::string>());
  EXPECT_THAT(http_get(api.host, api.port, "/").header("X-Lbchaos-Server"), HasSubstr("admin_api/"));

  lbchaos.signal(SIGINT);
  EXPECT_EQ(lbchaos.exit_code(), 0) << lbchaos.output();
  EXPECT_EQ(read_file(config_path), before) << "the user's haproxy.cfg was modified";
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s));
}

TEST(UserConfig, CheckRefusesABrokenServerLineWithHaproxysMessageAtTheUsersLine) {
  const auto config_path = kData + "haproxy/broken_server_line.cfg";
  const std::string before = read_file(config_path);
  TempDir dir;
  LbchaosProcess lbchaos({"check", kData + "integration/broken_user_config.toml"}, dir.path());
  EXPECT_EQ(lbchaos.exit_code(), 2) << lbchaos.output();
  // haproxy's own words, pointing at the user's file and the line with the typo.
  EXPECT_THAT(lbchaos.err(), HasSubstr("broken_server_line.cfg:42"));
  EXPECT_THAT(lbchaos.err(), HasSubstr("chekc"));
  EXPECT_EQ(read_file(config_path), before);
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

TEST(UserConfig, UpRefusesTheBrokenConfigBeforeStartingAnything) {
  TempDir dir;
  LbchaosProcess lbchaos({"up", kData + "integration/broken_user_config.toml"}, dir.path());
  EXPECT_EQ(lbchaos.exit_code(), 2) << lbchaos.output();
  EXPECT_THAT(lbchaos.err(), HasSubstr("broken_server_line.cfg:42"));
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
}

}  // namespace
}  // namespace lbchaos
