// What the traffic reaches: a request mix through a Host-routed config reaches every backend,
// and the route coverage names the one a mix misses; TCP traffic through a TCP-mode frontend
// keeps its probes; a run as root lives in a private network namespace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>

#include "tests/integration/support/fault_journal.h"

namespace lbchaos {
namespace {

using namespace test_support;
using ::testing::HasSubstr;

const std::string kData = std::string(LBCHAOS_TEST_DATA) + "/integration/";

const nlohmann::json& probe(const nlohmann::json& scenario, const std::string& name) {
  for (const auto& p : scenario.at("probes")) {
    if (p.at("probe") == name) return p;
  }
  throw std::runtime_error("no probe " + name);
}

// Both routing scenarios in one `lbchaos run` (one start-up cost each, one process).
class RouteCoverage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string routing = kData + "routing/";
    const UserFiles files({routing});
    LbchaosProcess lbchaos({"run", routing + "every_route.toml", routing + "one_host_missing.toml",
                            "--json", (*dir_ / "journal.json").string()},
                           dir_->path());
    exit_code_ = lbchaos.exit_code(std::chrono::seconds(60));
    output_ = lbchaos.output();
    const std::string text = read_file(*dir_ / "journal.json");
    if (!text.empty()) journal_ = nlohmann::json::parse(text);
    eventually([] { return processes_of_run(dir_->path().string()).empty(); },
               std::chrono::seconds(2));
    leftover_ = processes_of_run(dir_->path().string()).size();
    files_unchanged_ = unchanged(files);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static inline TempDir* dir_ = nullptr;
  static inline int exit_code_ = -1;
  static inline std::string output_;
  static inline nlohmann::json journal_;
  static inline std::size_t leftover_ = 0;
  static inline ::testing::AssertionResult files_unchanged_ = ::testing::AssertionSuccess();
};

TEST_F(RouteCoverage, BothRunsPassAndLeaveNothingBehind) {
  EXPECT_EQ(exit_code_, 0) << output_;
  ASSERT_EQ(journal_["scenarios"].size(), 2u) << output_;
  EXPECT_EQ(leftover_, 0u);
  EXPECT_TRUE(files_unchanged_);
}

TEST_F(RouteCoverage, AMixWithOneRequestPerRouteReachesAllFourBackends) {
  ASSERT_EQ(journal_["scenarios"].size(), 2u) << output_;
  const auto& coverage = journal_["scenarios"][0]["coverage"];
  ASSERT_TRUE(coverage.is_object()) << output_;
  EXPECT_EQ(coverage["source"], "responses");
  for (const std::string backend : {"c1", "c1dev", "c2", "api"}) {
    EXPECT_GT(coverage["backends"][backend]["requests"].get<int>(), 0) << backend << coverage;
  }
  EXPECT_TRUE(coverage["backends_without_traffic"].empty()) << coverage;
  EXPECT_THAT(output_, HasSubstr("route coverage: all 4 backends got traffic"));
  // The mix as run is in the journal: the POST with its body, the header.
  const auto& requests = journal_["scenarios"][0]["scenario"]["traffic"]["requests"];
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[2]["method"], "POST");
  EXPECT_EQ(requests[1]["headers"]["X-Team"], "two");
}

TEST_F(RouteCoverage, WithOneHostRemovedTheCoverageLineNamesTheBackendThatGotNothing) {
  ASSERT_EQ(journal_["scenarios"].size(), 2u) << output_;
  const auto& coverage = journal_["scenarios"][1]["coverage"];
  EXPECT_EQ(coverage["backends_without_traffic"], nlohmann::json({"c1dev"})) << coverage;
  EXPECT_EQ(coverage["servers_without_traffic"], nlohmann::json({"c1dev/c1dev1"})) << coverage;
  EXPECT_THAT(output_, HasSubstr("route coverage: 3 of 4 backends got traffic: c1dev got none"));
}

TEST(TcpTraffic, AKillBehindATcpFrontendKeepsItsAvailabilityAndFailoverProbes) {
  const auto run = run_checked_scenario(kData + "tcp/kill_r1.toml");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  ASSERT_FALSE(run.scenario.is_null()) << run.output;
  EXPECT_EQ(run.leftover_processes, 0u);
  EXPECT_TRUE(run.files_unchanged);
  EXPECT_EQ(probe(run.scenario, "availability")["verdict"], "pass") << run.output;
  EXPECT_EQ(probe(run.scenario, "failover_time")["verdict"], "pass") << run.output;
  EXPECT_EQ(probe(run.scenario, "latency")["verdict"], "pass") << run.output;
  EXPECT_EQ(run.scenario["scenario"]["traffic"]["protocol"], "tcp");
  EXPECT_GT(run.scenario["requests"].get<int>(), 300);
  // TCP answers name no server: coverage comes from haproxy's own counters.
  const auto& coverage = run.scenario["coverage"];
  EXPECT_EQ(coverage["source"], "haproxy stats") << coverage;
  EXPECT_GT(coverage["backends"]["redis"]["servers"]["r1"].get<int>(), 0) << coverage;
  EXPECT_GT(coverage["backends"]["redis"]["servers"]["r2"].get<int>(), 0) << coverage;
}

TEST(NetworkIsolation, ARunAsRootHasOnlyLoopback) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: a private network namespace";
  TempDir dir;
  LbchaosProcess lbchaos({"run", kData + "isolation/isolated_run.toml", "--keep", "--json",
                          (dir / "journal.json").string()},
                         dir.path());
  ASSERT_EQ(lbchaos.exit_code(std::chrono::seconds(60)), 0) << lbchaos.output();
  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  EXPECT_EQ(journal["isolated"], true);
  EXPECT_THAT(journal["isolation"].get<std::string>(), HasSubstr("private network namespace"));

  // The node ran inside: its connection to 192.0.2.1 found no route, at once.
  std::string log;
  for (const auto& run_dir : run_directories_in(dir.path())) {
    log += read_file(run_dir / "logs" / "app.web1.log");
  }
  std::smatch match;
  ASSERT_TRUE(std::regex_search(log, match,
                                std::regex(R"(off-loopback connect: (\w+) after ([0-9.]+)s)")))
      << log;
  EXPECT_EQ(match[1], "ENETUNREACH");
  EXPECT_LT(std::stod(match[2]), 1.0);
  eventually([&] { return processes_of_run(dir.path().string()).empty(); },
             std::chrono::seconds(2));
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
}

}  // namespace
}  // namespace lbchaos
