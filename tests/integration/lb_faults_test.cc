// LB faults through `lbchaos run`, as CI runs them: losing the haproxy instance and bringing it
// back (seed 000), and a corrupted config applied by reload or by restart (seed 001). Plus
// `lbchaos check` on each corrupted config: haproxy refuses the broken ones with its message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>

#include "faults/config_corruption.h"
#include "tests/integration/support/fault_journal.h"
#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/user_files.h"
#include "tests/integration/support/scenario_run.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

const std::string kScenarios = std::string(LBCHAOS_TEST_DATA) + "/integration/lb/";

// Runs one scenario file (the fixture) and returns its journal entry; lbchaos must exit
// `expected_exit`, leave nothing behind, and leave the scenario's folder and the user configs
// untouched (every corruption happens on a copy).
nlohmann::json run_lb_scenario(const std::string& file, int expected_exit = 0) {
  const auto run = run_scenario(
      {.scenario = kScenarios + file,
       .user_folders = {std::filesystem::path(kScenarios + file).parent_path(),
                        std::filesystem::path(LBCHAOS_TEST_DATA) / "haproxy"},
       .timeout = 60s});
  EXPECT_EQ(run.exit_code, expected_exit) << run.output;
  EXPECT_TRUE(run.clean()) << file;
  return run.scenario;
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

// How long haproxy took from its start to serving, as a restore or restart reports it
// ("..., serving after 230ms)"); -1 when the detail does not say.
double serving_after_seconds(const std::string& detail) {
  const std::regex pattern(R"(serving after ([0-9.]+)(ms|s)\))");
  std::smatch match;
  if (!std::regex_search(detail, match, pattern)) return -1;
  const double value = std::stod(match[1]);
  return match[2] == "ms" ? value / 1000 : value;
}

// The successful requests each haproxy instance served over [from_s, to_s) (whole buckets).
std::map<std::string, std::int64_t> ok_per_instance(const nlohmann::json& scenario, double from_s,
                                                    double to_s) {
  std::map<std::string, std::int64_t> ok;
  for (const auto& bucket : scenario["timeline"]["buckets"]) {
    const double t = bucket["t_s"].get<double>();
    if (t < from_s || t + 0.1 > to_s + 1e-9) continue;
    for (const auto& [name, n] : bucket["instances"].items()) ok[name] += n.get<std::int64_t>();
  }
  return ok;
}

// Slack for what happens between haproxy serving and the next request being answered (a
// 100 ms bucket, and scheduling on a busy machine).
constexpr double kServeSlack = 0.5;

TEST(LbFaults, LbKillThenLbRestoreMeasuresMttrAndServiceComesBack) {
  const auto scenario = run_lb_scenario("kill_then_restore.toml");
  ASSERT_EQ(scenario["fault_events"].size(), 2u);
  const auto& kill = scenario["fault_events"][0];
  const auto& restore = scenario["fault_events"][1];
  EXPECT_THAT(kill["detail"].get<std::string>(), HasSubstr("SIGKILL to process group"));
  EXPECT_THAT(restore["detail"].get<std::string>(), HasSubstr("from the saved config"));

  // Down from the kill at 2s until the restore at 4s, and as long as haproxy took to serve.
  const double mttr = probe(scenario, "mttr")["measured"].get<double>();
  const double restore_after = restore["injected_at_s"].get<double>() -
                               kill["injected_at_s"].get<double>();
  const double serving_after = serving_after_seconds(restore["detail"].get<std::string>());
  ASSERT_GE(serving_after, 0) << restore["detail"];
  EXPECT_GE(mttr, restore_after) << "served before it was restored?";
  EXPECT_LE(mttr, restore_after + serving_after + kServeSlack);
  const double availability = probe(scenario, "availability", "all")["measured"].get<double>();
  EXPECT_LT(availability, 0.8);
  EXPECT_GT(availability, 0.5);

  // Once the service is back, every request is served again.
  const double back_at = kill["injected_at_s"].get<double>() + mttr + kServeSlack;
  const auto& buckets = scenario["timeline"]["buckets"];
  int sent = 0;
  int ok = 0;
  for (const auto& bucket : buckets) {
    if (bucket["t_s"].get<double>() < back_at) continue;
    sent += bucket["sent"].get<int>();
    ok += bucket["ok"].get<int>();
  }
  EXPECT_GT(sent, 50);
  EXPECT_EQ(ok, sent);
  std::cout << "[ measured ] mttr " << mttr << " s, availability " << availability << "\n";
}

TEST(LbFaults, LbKillWithASecondInstanceKeepsAvailability) {
  const auto scenario = run_lb_scenario("two_lbs_kill.toml");
  const double availability = probe(scenario, "availability", "all")["measured"].get<double>();
  EXPECT_GE(availability, 0.99);
  // Service came back through lb1, long before lb0 itself was started again.
  const auto& kill = scenario["fault_events"][0];
  ASSERT_FALSE(kill["healed_at_s"].is_null()) << kill.dump();
  EXPECT_LT(probe(scenario, "mttr")["measured"].get<double>(),
            kill["healed_at_s"].get<double>() - kill["injected_at_s"].get<double>());
  // The killed instance was started again at the heal.
  EXPECT_THAT(scenario["fault_events"][0]["detail"].get<std::string>(),
              HasSubstr("started lb0 again from the saved config"));
  std::cout << "[ measured ] availability " << availability << ", mttr "
            << probe(scenario, "mttr")["measured"].get<double>() << " s\n";
}

// The broken configs haproxy refuses: by reload, the old worker serves every request.
struct RefusedCorruption {
  std::string file;
  std::string haproxy_says;  // in the fault's detail, from haproxy's own log
};

void PrintTo(const RefusedCorruption& corruption, std::ostream* out) { *out << corruption.file; }

class CorruptConfigByReload : public ::testing::TestWithParam<RefusedCorruption> {};

TEST_P(CorruptConfigByReload, IsRefusedAndTheOldWorkerServesEveryRequest) {
  const auto scenario = run_lb_scenario(GetParam().file);
  EXPECT_EQ(probe(scenario, "reload_rejected")["verdict"], "pass");
  EXPECT_EQ(probe(scenario, "availability", "all")["measured"].get<double>(), 1.0);
  const auto detail = scenario["fault_events"][0]["detail"].get<std::string>();
  EXPECT_THAT(detail, HasSubstr("refused (failed reloads: 1)"));
  EXPECT_THAT(detail, HasSubstr(GetParam().haproxy_says));
  EXPECT_THAT(detail, HasSubstr("nothing to reload"));
  ASSERT_EQ(scenario["reload_events"].size(), 1u) << scenario["reload_events"].dump(1);
  EXPECT_EQ(scenario["reload_events"][0]["accepted"], false);
  EXPECT_EQ(scenario["reload_events"][0]["old_worker_kept"], true);
}

INSTANTIATE_TEST_SUITE_P(
    RefusedModes, CorruptConfigByReload,
    ::testing::Values(RefusedCorruption{"corrupt_reload.toml", "unknown keyword 'chekc'"},
                      RefusedCorruption{"corrupt_unknown_keyword_reload.toml",
                                        "unknown keyword 'balanse'"},
                      RefusedCorruption{"corrupt_truncated_reload.toml", "truncated"}),
    [](const auto& param_info) {
      std::string name = param_info.param.file.substr(0, param_info.param.file.find('.'));
      std::erase(name, '_');
      return name;
    });

// checks_removed is valid: haproxy runs it, and a server that dies meanwhile stays UP until
// the good config (with checks) is back.
TEST(LbFaults, CorruptConfigWithoutChecksLeavesAKilledServerUpUntilTheGoodConfigIsBack) {
  const auto scenario = run_lb_scenario("corrupt_checks_removed.toml");
  ASSERT_EQ(scenario["fault_events"].size(), 2u);
  const auto& corrupt = scenario["fault_events"][0];
  const auto& kill = scenario["fault_events"][1];
  EXPECT_THAT(corrupt["detail"].get<std::string>(), HasSubstr("removed 'check' from 3 server"));
  EXPECT_THAT(corrupt["detail"].get<std::string>(), HasSubstr("accepted"));
  ASSERT_EQ(kill["action"], "kill");
  const double killed = kill["injected_at_s"].get<double>();
  const double checks_back = corrupt["healed_at_s"].get<double>();
  ASSERT_LT(killed, checks_back);

  // Not a DOWN between the kill and the good config's return; then one.
  const auto downs = haproxy_events(scenario, "app/web1", "DOWN");
  for (const auto& e : downs) {
    EXPECT_FALSE(e["at_s"].get<double>() >= killed && e["at_s"].get<double>() < checks_back)
        << "haproxy noticed without checks? " << e;
  }
  const auto down = first_event_after(scenario, "app/web1", "DOWN", killed);
  ASSERT_FALSE(down.is_null()) << all_events(scenario);
  EXPECT_GE(down["at_s"].get<double>(), checks_back);
  EXPECT_LT(down["at_s"].get<double>(), kill["healed_at_s"].get<double>());
  EXPECT_GE(probe(scenario, "detection_time")["measured"].get<double>(), checks_back - killed);
  // Started again at the kill's heal, web1 is taken back.
  EXPECT_FALSE(first_event_after(scenario, "app/web1", "UP", kill["healed_at_s"].get<double>())
                   .is_null())
      << all_events(scenario);
}

// wrong_server_port is valid too: haproxy runs it, its checks take web1 out, and the good
// config puts it back.
TEST(LbFaults, CorruptConfigWithAWrongServerPortTakesThatServerOutUntilHealed) {
  const auto scenario = run_lb_scenario("corrupt_wrong_port.toml");
  const auto fault = fault_times(scenario);
  EXPECT_THAT(fault.detail, ContainsRegex("pointed server web1 of backend app at [0-9.]+:1 "));
  EXPECT_THAT(fault.detail, HasSubstr("accepted"));
  const auto down = first_event_after(scenario, "app/web1", "DOWN", fault.injected_s);
  ASSERT_FALSE(down.is_null()) << all_events(scenario);
  const double down_at = down["at_s"].get<double>();
  EXPECT_LT(down_at, fault.healed_s);

  const auto out = traffic_window(scenario, down_at + 0.3, fault.healed_s);
  const auto back = traffic_window(scenario, fault.healed_s + 0.5, traffic_end_s(scenario));
  std::cout << "out: " << out << "\nback: " << back << "\n";
  EXPECT_GT(out.sent, 0);
  EXPECT_EQ(out.server("app/web1"), 0);
  EXPECT_EQ(out.ok, out.sent);
  // The reload with the good config starts a worker that knows web1 at its real port again.
  EXPECT_GT(back.sent, 0);
  EXPECT_EQ(back.ok, back.sent);
  EXPECT_GT(back.share("app/web1"), 0.2);
}

TEST(LbFaults, LbRestoreWithASecondInstanceBringsLb0BackIntoService) {
  const auto scenario = run_lb_scenario("two_lbs_restore.toml");
  ASSERT_EQ(scenario["fault_events"].size(), 2u);
  const auto& kill = scenario["fault_events"][0];
  const auto& restore = scenario["fault_events"][1];
  EXPECT_THAT(restore["detail"].get<std::string>(), HasSubstr("started lb0 again from the saved "
                                                              "config"));
  const double killed = kill["injected_at_s"].get<double>();
  const double restored = restore["injected_at_s"].get<double>();
  const double serving_after = serving_after_seconds(restore["detail"].get<std::string>());
  ASSERT_GE(serving_after, 0) << restore["detail"];

  auto before = ok_per_instance(scenario, 1.0, killed);
  auto alone = ok_per_instance(scenario, killed + 0.3, restored);
  auto after =
      ok_per_instance(scenario, restored + serving_after + kServeSlack, traffic_end_s(scenario));
  std::cout << "lb0/lb1 before " << before["lb0"] << "/" << before["lb1"] << ", alone "
            << alone["lb0"] << "/" << alone["lb1"] << ", after " << after["lb0"] << "/"
            << after["lb1"] << "\n";
  // Both serve; lb1 alone while lb0 is lost; both again once it is restored.
  EXPECT_GT(before["lb0"], 0);
  EXPECT_GT(before["lb1"], 0);
  EXPECT_EQ(alone["lb0"], 0);
  EXPECT_GT(alone["lb1"], 0);
  EXPECT_GT(after["lb0"], 0);
  EXPECT_GT(after["lb1"], 0);
  const auto whole = traffic_window(scenario, restored + serving_after + kServeSlack,
                                    traffic_end_s(scenario));
  EXPECT_EQ(whole.ok, whole.sent);
  EXPECT_EQ(probe(scenario, "availability", "all")["verdict"], "pass");
  EXPECT_LT(probe(scenario, "mttr")["measured"].get<double>(), restored - killed)
      << "service came back through lb1, not through the restore";
}

// config_corrupt on the user's own haproxy.cfg works on lbchaos's copy: the user's file is
// byte-identical afterwards, the journal records its sha256 as it was, and the corrupted copy
// that was actually loaded has its own.
TEST(LbFaults, CorruptConfigOnTheUsersOwnConfigLeavesTheirFileByteIdentical) {
  const std::filesystem::path users_cfg =
      std::filesystem::path(LBCHAOS_TEST_DATA) / "haproxy" / "production.cfg";
  const UserFiles before({users_cfg});
  const auto scenario = run_lb_scenario("user_config_corrupt.toml");
  EXPECT_EQ(scenario["outcome"], "passed") << scenario["probes"].dump(1);
  const auto fault = fault_times(scenario);
  EXPECT_THAT(fault.detail, ContainsRegex("pointed server app1 of backend app at [0-9.]+:1 "));
  EXPECT_THAT(fault.detail, HasSubstr("accepted"));

  EXPECT_TRUE(unchanged(before));
  EXPECT_EQ(sha256_of(users_cfg), before.sha256(users_cfg));
  EXPECT_TRUE(journal_records_sha256(scenario, before, users_cfg));
  std::string corrupted_sha;
  for (const auto& [path, sha] : scenario["config_sha256"].items()) {
    if (path.ends_with("haproxy.wrong_server_port.cfg")) corrupted_sha = sha.get<std::string>();
  }
  ASSERT_FALSE(corrupted_sha.empty()) << scenario["config_sha256"].dump(1);
  EXPECT_NE(corrupted_sha, before.sha256(users_cfg));
}

TEST(LbFaults, CorruptConfigByRestartIsAnOutageUntilTheGoodConfigIsBack) {
  const auto scenario = run_lb_scenario("corrupt_restart.toml");
  const auto& fault = scenario["fault_events"][0];
  EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("refused it and exited"));
  EXPECT_THAT(fault["detail"].get<std::string>(), HasSubstr("started lb0 again"));
  EXPECT_LT(probe(scenario, "availability", "fault")["measured"].get<double>(), 0.1);
  const double availability = probe(scenario, "availability", "recovery")["measured"].get<double>();
  EXPECT_LT(availability, 1.0);

  // Time to repair: from the bad restart until requests are served again, past the heal (the
  // good config back) by as long as haproxy took to start serving.
  const double injected = fault["injected_at_s"].get<double>();
  const double heal_after = fault["healed_at_s"].get<double>() - injected;
  const double serving_after = serving_after_seconds(fault["detail"].get<std::string>());
  ASSERT_GE(serving_after, 0) << fault["detail"];
  const double outage = outage_seconds(scenario, injected);
  EXPECT_GE(outage, heal_after - 0.1);  // 100 ms buckets
  EXPECT_LE(outage, heal_after + serving_after + kServeSlack);
  // The mttr probe measures the same outage from the requests themselves.
  const double mttr = probe(scenario, "mttr")["measured"].get<double>();
  EXPECT_GE(mttr, heal_after);
  EXPECT_NEAR(mttr, outage, 0.1 + kServeSlack);
  std::cout << "[ measured ] outage (time to repair) " << outage << " s, mttr " << mttr
            << " s\n";
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
