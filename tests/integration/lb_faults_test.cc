// LB faults through `lbchaos run`, as CI runs them: losing the haproxy instance and bringing it
// back (seed 000), and a corrupted config applied by reload or by restart (seed 001). Plus
// `lbchaos check` on each corrupted config: haproxy refuses the broken ones with its message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "harness/faults/config_corruption.h"
#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/user_files.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kScenarios = std::string(LBCHAOS_TEST_DATA) + "/integration/lb/";

const nlohmann::json& probe(const nlohmann::json& scenario, const std::string& name,
                            const std::string& window = "all") {
  for (const auto& p : scenario["probes"]) {
    if (p["probe"] == name && p["window"] == window) return p;
  }
  throw std::runtime_error("no probe " + name + " over " + window);
}

// Runs one scenario file and returns its journal entry; lbchaos must exit `expected_exit`.
nlohmann::json run_scenario(const TempDir& dir, const std::string& file, int expected_exit = 0) {
  // Every corruption happens on a copy: the scenario's folder and the user configs are untouched.
  const UserFiles user_files({std::filesystem::path(kScenarios + file).parent_path(),
                              std::filesystem::path(LBCHAOS_TEST_DATA) / "haproxy"});
  LbchaosProcess lbchaos({"run", kScenarios + file, "--json", (dir / "journal.json").string()},
                         dir.path());
  EXPECT_EQ(lbchaos.exit_code(60s), expected_exit) << lbchaos.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s));
  EXPECT_TRUE(unchanged(user_files)) << file;
  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  return journal["scenarios"][0];
}

// From an injection to the first 100 ms bucket that served requests again, after at least one
// bucket that served none (0 when service never stopped): the outage, read off the timeline.
double outage_seconds(const nlohmann::json& scenario, double injected_at_s) {
  bool down = false;
  for (const auto& bucket : scenario["timeline"]["buckets"]) {
    const double t = bucket["t_s"].get<double>();
    if (t < injected_at_s) continue;
    const bool served = bucket["ok"].get<int>() > 0;
    if (!served && bucket["sent"].get<int>() > 0) down = true;
    if (down && served) return t - injected_at_s;
  }
  return down ? -1 : 0;
}

TEST(LbFaults, LbKillThenLbRestoreMeasuresMttrAndServiceComesBack) {
  TempDir dir;
  const auto scenario = run_scenario(dir, "kill_then_restore.toml");
  ASSERT_EQ(scenario["fault_events"].size(), 2u);
  const auto& kill = scenario["fault_events"][0];
  const auto& restore = scenario["fault_events"][1];
  EXPECT_THAT(kill["detail"].get<std::string>(), HasSubstr("SIGKILL to process group"));
  EXPECT_THAT(restore["detail"].get<std::string>(), HasSubstr("from the saved config"));

  // Down from the kill at 2s until the restore at 4s, and a little while haproxy starts.
  const double mttr = probe(scenario, "mttr")["measured"].get<double>();
  const double restore_after = restore["injected_at_s"].get<double>() -
                               kill["injected_at_s"].get<double>();
  EXPECT_GE(mttr, restore_after) << "served before it was restored?";
  EXPECT_LE(mttr, restore_after + 1.0);
  const double availability = probe(scenario, "availability")["measured"].get<double>();
  EXPECT_LT(availability, 0.8);
  EXPECT_GT(availability, 0.5);

  // The last second after the restore is fully served again.
  const auto& buckets = scenario["timeline"]["buckets"];
  int sent = 0;
  int ok = 0;
  for (const auto& bucket : buckets) {
    if (bucket["t_s"].get<double>() < 5.0) continue;
    sent += bucket["sent"].get<int>();
    ok += bucket["ok"].get<int>();
  }
  EXPECT_GT(sent, 100);
  EXPECT_EQ(ok, sent);
  std::cout << "[ measured ] mttr " << mttr << " s, availability " << availability << "\n";
}

TEST(LbFaults, LbKillWithASecondInstanceKeepsAvailability) {
  TempDir dir;
  const auto scenario = run_scenario(dir, "two_lbs_kill.toml");
  const double availability = probe(scenario, "availability")["measured"].get<double>();
  EXPECT_GE(availability, 0.99);
  EXPECT_LT(probe(scenario, "mttr")["measured"].get<double>(), 0.5);
  // The killed instance was started again at the heal.
  EXPECT_THAT(scenario["fault_events"][0]["detail"].get<std::string>(),
              HasSubstr("started lb0 again from the saved config"));
  std::cout << "[ measured ] availability " << availability << ", mttr "
            << probe(scenario, "mttr")["measured"].get<double>() << " s\n";
}

TEST(LbFaults, CorruptConfigByReloadIsRefusedAndTheOldWorkerServesEveryRequest) {
  TempDir dir;
  const auto scenario = run_scenario(dir, "corrupt_reload.toml");
  EXPECT_EQ(probe(scenario, "reload_rejected")["verdict"], "pass");
  EXPECT_EQ(probe(scenario, "availability")["measured"].get<double>(), 1.0);
  const auto detail = scenario["fault_events"][0]["detail"].get<std::string>();
  EXPECT_THAT(detail, HasSubstr("refused (failed reloads: 1)"));
  EXPECT_THAT(detail, HasSubstr("unknown keyword 'chekc'"));
  EXPECT_THAT(detail, HasSubstr("nothing to reload"));
}

TEST(LbFaults, CorruptConfigByRestartIsAnOutageUntilTheGoodConfigIsBack) {
  TempDir dir;
  const auto scenario = run_scenario(dir, "corrupt_restart.toml");
  const auto& fault = scenario["fault_events"][0];
  EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("refused it and exited"));
  EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("started lb0 again"));
  EXPECT_LT(probe(scenario, "availability", "fault")["measured"].get<double>(), 0.1);
  const double availability = probe(scenario, "availability", "recovery")["measured"].get<double>();
  EXPECT_LT(availability, 1.0);

  // Time to repair: from the bad restart until requests are served again, past the heal at +2s.
  const double outage = outage_seconds(scenario, fault["injected_at_s"].get<double>());
  EXPECT_GE(outage, 1.9);  // 100 ms buckets
  EXPECT_LE(outage, 3.0);
  std::cout << "[ measured ] outage (time to repair) " << outage << " s\n";
}

// A topology running `config` as the user's own haproxy.cfg.
std::filesystem::path write_user_topology(const TempDir& dir, const std::string& config) {
  std::ofstream(dir / "haproxy.cfg") << config;
  std::filesystem::copy(std::string(LBCHAOS_TEST_DATA) + "/haproxy/errors", dir / "errors");
  const auto topology = dir / "topology.toml";
  std::ofstream(topology) << "name = \"corrupted\"\n[haproxy]\nconfig = \"haproxy.cfg\"\n";
  return topology;
}

TEST(LbFaults, CheckRefusesEachBrokenCorruptionWithHaproxysMessage) {
  const std::string good = read_file(std::string(LBCHAOS_TEST_DATA) + "/haproxy/production.cfg");
  const std::vector<std::pair<std::string, std::string>> refused{
      {"syntax_error_new_server", "unknown keyword 'chekc'"},
      {"unknown_keyword", "unknown keyword 'balanse' in 'backend' section"},
      // lbchaos reads a user's config before haproxy does and says it first.
      {"truncated", "haproxy rejects the file as truncated"},
  };
  for (const auto& [mode, message] : refused) {
    TempDir dir;
    const auto topology = write_user_topology(dir, faults::corrupt_config(good, mode));
    LbchaosProcess lbchaos({"check", topology.string()}, dir.path());
    EXPECT_EQ(lbchaos.exit_code(), 2) << mode << "\n" << lbchaos.output();
    EXPECT_THAT(lbchaos.output(), HasSubstr(message)) << mode;
  }
  // The other three are accepted: haproxy cannot tell, only a run shows their effect.
  for (const std::string mode :
       {"checks_removed", "all_weights_but_one_zero", "wrong_server_port"}) {
    TempDir dir;
    const auto topology = write_user_topology(dir, faults::corrupt_config(good, mode));
    LbchaosProcess lbchaos({"check", topology.string()}, dir.path());
    EXPECT_EQ(lbchaos.exit_code(), 0) << mode << "\n" << lbchaos.output();
  }
}

}  // namespace
}  // namespace lbchaos
