// `lbchaos up` as a user runs it: real haproxy, real backends, real traffic on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <set>

#include "tests/integration/support/http_client.h"
#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kQuickstart = std::string(LBCHAOS_SOURCE_DIR) + "/topologies/quickstart.toml";
const std::string kData = std::string(LBCHAOS_TEST_DATA) + "/integration/";

// Every process of every run below `dir` is gone within 2 s, and so is every run directory.
void expect_nothing_left(const TempDir& dir, const std::vector<pid_t>& pids = {}) {
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s))
      << "processes of the run still running: "
      << ::testing::PrintToString(processes_of_run(dir.path().string()));
  for (pid_t pid : pids) {
    EXPECT_TRUE(eventually([&] { return !process_running(pid); }, 2s)) << "pid " << pid;
  }
}

std::string frontend_url(const nlohmann::json& ready, int instance, const std::string& frontend) {
  return ready["instances"][instance]["frontends"][frontend].get<std::string>();
}

// `requests` GETs of / through `url`: how many answered 200, and which servers answered.
struct TrafficResult {
  int ok = 0;
  std::map<std::string, int> by_server;
};

TrafficResult send_requests(const std::string& url, int requests) {
  const Url target = parse_url(url);
  TrafficResult result;
  for (int i = 0; i < requests; ++i) {
    const auto response = http_get(target.host, target.port, "/");
    if (response.status == 200) ++result.ok;
    ++result.by_server[response.header("X-Lbchaos-Server")];
  }
  return result;
}

TEST(Up, QuickstartServesEveryRequestFromEveryServer) {
  TempDir dir;
  LbchaosProcess lbchaos({"up", kQuickstart, "--ready-file", (dir / "ready.json").string()},
                         dir.path());
  const auto ready = wait_ready_file(lbchaos, dir / "ready.json");
  ASSERT_TRUE(ready) << lbchaos.output();

  auto traffic = send_requests(frontend_url(*ready, 0, "www"), 30);
  EXPECT_EQ(traffic.ok, 30);
  EXPECT_EQ(traffic.by_server.size(), 3u);
  for (const char* server : {"app/web1", "app/web2", "app/web3"}) {
    EXPECT_GT(traffic.by_server[server], 0) << server << " never answered";
  }
  EXPECT_THAT(lbchaos.out(), HasSubstr(frontend_url(*ready, 0, "www")));

  const auto pids = pids_in(*ready);
  lbchaos.signal(SIGINT);
  EXPECT_EQ(lbchaos.exit_code(), 0) << lbchaos.output();
  expect_nothing_left(dir, pids);
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "ready.json")) << "a stale ready file misleads";
}

TEST(Up, ReadyFileDescribesTheRun) {
  TempDir dir;
  LbchaosProcess lbchaos({"up", kQuickstart, "--ready-file", (dir / "ready.json").string()},
                         dir.path());
  const auto ready = wait_ready_file(lbchaos, dir / "ready.json");
  ASSERT_TRUE(ready) << lbchaos.output();
  const std::filesystem::path run_dir = (*ready)["run_dir"].get<std::string>();
  EXPECT_EQ(std::filesystem::status(run_dir).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  const auto& instance = (*ready)["instances"][0];
  for (const char* socket : {"stats_socket", "master_socket"}) {
    const auto perms = std::filesystem::status(instance[socket].get<std::string>()).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << socket;
  }
  ASSERT_EQ((*ready)["nodes"].size(), 3u);
  for (const auto& node : (*ready)["nodes"]) {
    EXPECT_TRUE(process_running(node["pid"].get<pid_t>())) << node.dump();
    EXPECT_EQ(node["kind"], "builtin");
  }
  // The metrics endpoint is haproxy's own Prometheus exporter (chunked: scraped with curl).
  const std::string scrape =
      run_command("curl -sf " + instance["metrics_url"].get<std::string>());
  EXPECT_THAT(scrape, HasSubstr("haproxy_server_status{proxy=\"app\",server=\"web1\""));
  lbchaos.signal(SIGTERM);
  EXPECT_EQ(lbchaos.exit_code(), 0) << lbchaos.output();
  expect_nothing_left(dir);
}

TEST(Up, SigkillOfTheHarnessLeavesNoProcessBehind) {
  TempDir dir;
  LbchaosProcess lbchaos({"up", kQuickstart, "--ready-file", (dir / "ready.json").string()},
                         dir.path());
  const auto ready = wait_ready_file(lbchaos, dir / "ready.json");
  ASSERT_TRUE(ready) << lbchaos.output();
  const auto pids = pids_in(*ready);
  ASSERT_FALSE(processes_of_run(dir.path().string()).empty());

  lbchaos.signal(SIGKILL);
  ASSERT_TRUE(lbchaos.wait(5s));
  expect_nothing_left(dir, pids);
}

TEST(Up, NextRunSweepsTheRunDirectoryOfAKilledHarness) {
  TempDir dir;
  {
    LbchaosProcess killed({"up", kQuickstart, "--ready-file", (dir / "ready.json").string()},
                          dir.path());
    ASSERT_TRUE(wait_ready_file(killed, dir / "ready.json")) << killed.output();
    killed.signal(SIGKILL);
    ASSERT_TRUE(killed.wait(5s));
  }
  ASSERT_EQ(run_directories_in(dir.path()).size(), 1u);
  LbchaosProcess check({"check", kQuickstart}, dir.path());
  EXPECT_EQ(check.exit_code(), 0) << check.output();
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

TEST(Up, NodeThatExitsAtStartIsExit3AndLeavesNothing) {
  TempDir dir;
  LbchaosProcess lbchaos({"up", kData + "node_exits_at_start.toml"}, dir.path());
  EXPECT_EQ(lbchaos.exit_code(), 3) << lbchaos.output();
  EXPECT_THAT(lbchaos.err(), HasSubstr("app/broken"));
  EXPECT_THAT(lbchaos.err(), HasSubstr("exit code 4"));
  EXPECT_THAT(lbchaos.err(), HasSubstr("cannot open database")) << "the node's own words";
  expect_nothing_left(dir);
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

TEST(Up, ServerNeverUpIsExit3NamingItAndItsCheckStatus) {
  TempDir dir;
  LbchaosProcess lbchaos({"up", kData + "health_never_passes.toml"}, dir.path());
  EXPECT_EQ(lbchaos.exit_code(), 3) << lbchaos.output();
  EXPECT_THAT(lbchaos.err(), HasSubstr("app/py: DOWN"));
  EXPECT_THAT(lbchaos.err(), HasSubstr("L7STS"));
  EXPECT_THAT(lbchaos.err(), ::testing::Not(HasSubstr("app/web1:"))) << "web1 was UP";
  expect_nothing_left(dir);
}

TEST(Up, CtrlCDuringStartUpStillTearsDown) {
  TempDir dir;
  // This topology never becomes ready, so the signal lands while lbchaos waits for it.
  LbchaosProcess lbchaos({"up", kData + "health_never_passes.toml"}, dir.path());
  ASSERT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).size() >= 3; }, 10s))
      << lbchaos.output();
  lbchaos.signal(SIGINT);
  EXPECT_EQ(lbchaos.exit_code(), 0) << lbchaos.output();
  expect_nothing_left(dir);
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

TEST(Up, TwoConcurrentRunsOfOneTopologyBothBecomeReady) {
  TempDir dir_a, dir_b;
  LbchaosProcess a({"up", kQuickstart, "--ready-file", (dir_a / "ready.json").string()},
                   dir_a.path());
  LbchaosProcess b({"up", kQuickstart, "--ready-file", (dir_b / "ready.json").string()},
                   dir_b.path());
  const auto ready_a = wait_ready_file(a, dir_a / "ready.json");
  const auto ready_b = wait_ready_file(b, dir_b / "ready.json");
  ASSERT_TRUE(ready_a) << a.output();
  ASSERT_TRUE(ready_b) << b.output();
  EXPECT_NE(frontend_url(*ready_a, 0, "www"), frontend_url(*ready_b, 0, "www"));
  EXPECT_EQ(send_requests(frontend_url(*ready_a, 0, "www"), 9).ok, 9);
  EXPECT_EQ(send_requests(frontend_url(*ready_b, 0, "www"), 9).ok, 9);
  a.signal(SIGINT);
  b.signal(SIGINT);
  EXPECT_EQ(a.exit_code(), 0);
  EXPECT_EQ(b.exit_code(), 0);
  expect_nothing_left(dir_a);
  expect_nothing_left(dir_b);
}

TEST(Up, TwoInstancesServeTheSamePool) {
  TempDir dir;
  LbchaosProcess lbchaos(
      {"up", kData + "two_instances.toml", "--ready-file", (dir / "ready.json").string()},
      dir.path());
  const auto ready = wait_ready_file(lbchaos, dir / "ready.json");
  ASSERT_TRUE(ready) << lbchaos.output();
  ASSERT_EQ((*ready)["instances"].size(), 2u);
  EXPECT_NE(frontend_url(*ready, 0, "www"), frontend_url(*ready, 1, "www"));
  EXPECT_NE((*ready)["instances"][0]["pid"], (*ready)["instances"][1]["pid"]);
  for (int instance : {0, 1}) {
    const auto traffic = send_requests(frontend_url(*ready, instance, "www"), 10);
    EXPECT_EQ(traffic.ok, 10) << "instance " << instance;
    EXPECT_EQ(traffic.by_server.size(), 2u) << "instance " << instance;
  }
  lbchaos.signal(SIGINT);
  EXPECT_EQ(lbchaos.exit_code(), 0);
  expect_nothing_left(dir);
}


// Game days: `up` runs the alert engine and logs every alert state change as it happens.
TEST(UpAlerts, KillingAServerByHandLogsTheServerDownAlertFiring) {
  TempDir dir;
  LbchaosProcess lbchaos({"up", kQuickstart, "--ready-file", (dir / "ready.json").string()},
                         dir.path());
  const auto ready = wait_ready_file(lbchaos, dir / "ready.json");
  ASSERT_TRUE(ready) << lbchaos.output();
  pid_t web1 = -1;
  for (const auto& node : (*ready)["nodes"]) {
    if (node["name"] == "app/web1") web1 = node["pid"].get<pid_t>();
  }
  ASSERT_GT(web1, 0);
  ::kill(-web1, SIGKILL);  // its process group, as the kill fault does
  EXPECT_TRUE(eventually(
      [&] {
        return lbchaos.output().find("alert firing HaproxyServerDown{instance=lb0,proxy=app,"
                                     "server=web1") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << lbchaos.output();
  lbchaos.signal(SIGINT);
  EXPECT_EQ(lbchaos.exit_code(), 0) << lbchaos.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); },
                         std::chrono::seconds(5)));
}

}  // namespace
}  // namespace lbchaos
