// Command backends (any program: here Python's http.server) name themselves in no response
// header. The generator sends each request's id in X-Lbchaos-Request and haproxy logs it with the
// server that served it; `lbchaos run` reads those lines, so the journal's per-server counts and
// the distribution, failover and recovery probes see command backends like built-in ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>
#include <regex>

#include "tests/integration/support/fault_journal.h"
#include "tests/integration/support/scenario_run.h"

namespace lbchaos {
namespace {

using namespace test_support;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kDir = std::string(LBCHAOS_TEST_DATA) + "/integration/command_backends/";

std::string describe(const nlohmann::json& scenario) {
  std::string out;
  for (const auto& p : scenario.at("probes")) {
    out += p.at("probe").get<std::string>() + ": " + p.at("verdict").get<std::string>() + " — " +
           p.at("detail").get<std::string>() + "\n";
  }
  return out;
}

// Both scenarios in one `lbchaos run`, run directories kept to read haproxy's log. even.toml
// comes last: a later scenario's start sweeps an earlier one's kept directory (.keep is never
// written by RunDirectory::keep).
class CommandBackends : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const UserFiles files({kDir});
    LbchaosProcess lbchaos({"run", kDir + "maint.toml", kDir + "even.toml", "--keep", "--json",
                            (*dir_ / "journal.json").string()},
                           dir_->path());
    exit_code_ = lbchaos.exit_code(std::chrono::seconds(120));
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

  // lb0's logs as the harness received them, from the kept run directories.
  static std::string haproxy_logs() {
    std::string logs;
    for (const auto& run_dir : run_directories_in(dir_->path())) {
      logs += read_file(run_dir / "lb0" / "syslog.log");
    }
    return logs;
  }

  static inline TempDir* dir_ = nullptr;
  static inline int exit_code_ = -1;
  static inline std::string output_;
  static inline nlohmann::json journal_;
  static inline std::size_t leftover_ = 0;
  static inline ::testing::AssertionResult files_unchanged_ = ::testing::AssertionSuccess();
};

TEST_F(CommandBackends, RunPassesAndLeavesNothingBehind) {
  EXPECT_EQ(exit_code_, 0) << output_;
  EXPECT_EQ(leftover_, 0U);
  EXPECT_TRUE(files_unchanged_);
}

TEST_F(CommandBackends, EvenSpreadIsMeasuredFromHaproxysLog) {
  ASSERT_FALSE(journal_.is_null()) << output_;
  const auto& s = journal_.at("scenarios").at(1);
  std::cout << describe(s);
  const auto& distribution = probe(s, "distribution");
  EXPECT_EQ(distribution.at("verdict"), "pass") << describe(s);
  EXPECT_LE(distribution.at("measured").get<double>(), 0.10);
  for (const char* server : {"web1", "web2", "web3"}) {
    EXPECT_THAT(distribution.at("detail").get<std::string>(), HasSubstr(server));
  }

  // The journal's per-server counts: every response of the run names its command backend
  // (loopback UDP at 150 req/s loses no line; a lost one would show as a shortfall here).
  const auto all = traffic_window(s, 0, traffic_end_s(s));
  std::cout << "all: " << all << "\n";
  for (const char* server : {"app/web1", "app/web2", "app/web3"}) {
    EXPECT_GT(all.server(server), all.ok / 5) << server;
  }
  EXPECT_GE(all.attributed(), all.ok * 95 / 100);
  EXPECT_GT(all.ok, 400);
}

TEST_F(CommandBackends, MaintSkewsTheDistributionAndFailoverIsSeen) {
  ASSERT_FALSE(journal_.is_null()) << output_;
  const auto& s = journal_.at("scenarios").at(0);
  std::cout << describe(s);
  EXPECT_EQ(s.at("outcome"), "passed") << describe(s);
  const auto& distribution = probe(s, "distribution");
  EXPECT_GE(distribution.at("measured").get<double>(), 0.25) << describe(s);
  // web1 got traffic before the fault and again after the heal: the probes saw it by name.
  EXPECT_THAT(probe(s, "failover_time").at("detail").get<std::string>(),
              Not(HasSubstr("no known server")));
  EXPECT_THAT(probe(s, "recovery_time").at("detail").get<std::string>(),
              HasSubstr("app/web1 served a successful request again"));
  const auto fault = fault_times(s);
  const auto during = traffic_window(s, fault.injected_s + 0.3, fault.healed_s);
  const auto after = traffic_window(s, fault.healed_s + 0.3, traffic_end_s(s));
  std::cout << "during: " << during << "\nafter: " << after << "\n";
  EXPECT_EQ(during.server("app/web1"), 0);
  EXPECT_GT(during.server("app/web2"), 0);
  EXPECT_GT(after.server("app/web1"), 0);
}

TEST_F(CommandBackends, GeneratorRequestsEveryPathWithItsIdAndHaproxyLogsTheServer) {
  const std::string log = haproxy_logs();
  ASSERT_FALSE(log.empty()) << output_;
  EXPECT_THAT(log, HasSubstr("\"GET / HTTP/1.1\""));
  EXPECT_THAT(log, HasSubstr("\"GET /?page=2 HTTP/1.1\""));
  EXPECT_TRUE(std::regex_search(
      log, std::regex(R"(\[lbchaos@32473 req="0" srv="app/web[123]" tr="[0-9]+"\])")))
      << log.substr(0, 2000);
  // Health changes still reach the journal from the same log.
  ASSERT_FALSE(journal_.is_null()) << output_;
  const auto& events = journal_.at("scenarios").at(0).at("haproxy_events");
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const nlohmann::json& e) {
    return e.at("server") == "app/web1" && e.at("state") == "MAINT";
  })) << events.dump(1);
}

}  // namespace
}  // namespace lbchaos
