#include "tests/unit/support/input_errors.h"
#include "harness/scenario/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/topology/loader.h"

namespace lbchaos::scenario {
namespace {

namespace fs = std::filesystem;
using test_support::CorpusCase;
using test_support::expect_input_error;
using test_support::read_case;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;

const fs::path kData = LBCHAOS_TEST_DATA;
const fs::path kSource = LBCHAOS_SOURCE_DIR;


TEST(ScenarioLoader, LoadsEveryKeyOfTheFullExample) {
  const Scenario s = load_scenario(kData / "scenarios/valid_full.toml");

  EXPECT_EQ(s.name, "web1 crash fails over within 1s");
  EXPECT_EQ(s.description,
            "Kills app/web1 and lb1 under load; checks failover, recovery and balance.");
  EXPECT_TRUE(s.file.is_absolute());
  EXPECT_EQ(s.file.filename(), "valid_full.toml");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.topology.name, "full.example-1");
  EXPECT_EQ(s.topology.file, fs::absolute(kData / "topologies/valid_full.toml").lexically_normal());

  const TrafficSpec& t = s.traffic;
  EXPECT_DOUBLE_EQ(t.rate, 400.5);
  EXPECT_EQ(t.duration, 30s);
  EXPECT_EQ(t.warmup, 3s);
  EXPECT_EQ(t.clients, 64);
  EXPECT_EQ(t.max_connections, 128);
  EXPECT_EQ(t.timeout, 1500ms);
  EXPECT_EQ(t.paths, (std::vector<std::string>{"/", "/api/items"}));
  EXPECT_EQ(t.frontend, "legacy");
  EXPECT_EQ(t.where.line, 7);

  ASSERT_EQ(s.faults.size(), 3u);
  EXPECT_EQ(s.faults[0].at, 6s);
  EXPECT_EQ(s.faults[0].action, "kill");
  EXPECT_EQ(s.faults[0].target, "app/web1");
  EXPECT_THAT(s.faults[0].heal_after, Optional(Duration(6s)));
  EXPECT_EQ(s.faults[0].where.line, 17);
  EXPECT_EQ(s.faults[0].where.column, 1);
  EXPECT_EQ(s.faults[1].action, "lb_kill");
  EXPECT_EQ(s.faults[1].target, "lb1");
  EXPECT_EQ(s.faults[1].heal_after, std::nullopt);
  EXPECT_EQ(s.faults[2].action, "config_corrupt");
  EXPECT_EQ(s.faults[2].target, "lb0");
  EXPECT_THAT(s.faults[2].param<std::string>("mode"), Optional(std::string("checks_removed")));
  EXPECT_THAT(s.faults[2].param<std::string>("apply"), Optional(std::string("restart")));
  // A heal after the end of the run is allowed: it heals at the end.
  EXPECT_THAT(s.faults[2].heal_after, Optional(Duration(1min)));

  const auto& e = s.expectations;
  ASSERT_EQ(e.size(), 11u);
  EXPECT_EQ(e[0].probe, "availability");
  EXPECT_EQ(e[0].during, Window::kSteady);
  EXPECT_THAT(e[0].at_least, Optional(::testing::DoubleEq(0.995)));
  EXPECT_EQ(e[0].at_most, std::nullopt);
  EXPECT_EQ(e[0].where.line, 36);

  EXPECT_EQ(e[1].during, Window::kAll);
  EXPECT_THAT(e[1].at_least, Optional(::testing::DoubleEq(0.99)));

  EXPECT_EQ(e[2].probe, "latency");
  EXPECT_DOUBLE_EQ(e[2].percentile, 99.9);
  EXPECT_THAT(e[2].at_most, Optional(::testing::DoubleEq(0.25)));

  EXPECT_EQ(e[3].probe, "error_count");
  EXPECT_EQ(e[3].during, Window::kFault);
  EXPECT_THAT(e[3].at_most, Optional(::testing::DoubleEq(10)));

  EXPECT_EQ(e[4].probe, "failover_time");
  EXPECT_EQ(e[4].target, "app/web1");
  EXPECT_THAT(e[4].at_most, Optional(::testing::DoubleEq(1.0)));

  EXPECT_EQ(e[5].probe, "recovery_time");
  EXPECT_EQ(e[5].during, Window::kRecovery);
  EXPECT_THAT(e[5].at_most, Optional(::testing::DoubleEq(1.5)));

  EXPECT_EQ(e[6].probe, "detection_time");
  EXPECT_THAT(e[6].at_most, Optional(::testing::DoubleEq(2.0)));

  EXPECT_EQ(e[7].probe, "distribution");
  EXPECT_EQ(e[7].target, "app");
  EXPECT_THAT(e[7].at_most, Optional(::testing::DoubleEq(0.05)));
  EXPECT_EQ(e[7].min_samples, 50);

  EXPECT_EQ(e[8].probe, "reload_rejected");
  EXPECT_EQ(e[8].during, Window::kFault);
  EXPECT_TRUE(e[8].target.empty());
  EXPECT_EQ(e[8].at_least, std::nullopt);
  EXPECT_EQ(e[8].at_most, std::nullopt);

  EXPECT_EQ(e[9].probe, "mttr");
  EXPECT_EQ(e[9].target, "lb1");
  EXPECT_THAT(e[9].at_most, Optional(::testing::DoubleEq(3.0)));

  EXPECT_DOUBLE_EQ(e[10].percentile, 50);
  EXPECT_THAT(e[10].at_least, Optional(::testing::DoubleEq(0.001)));
}

TEST(ScenarioLoader, FillsDefaultsForAMinimalFile) {
  const Scenario s = parse_scenario(R"(
name = "min"
topology = "../topologies/valid_full.toml"
[[expect]]
probe = "availability"
at_least = 1
)",
                                    kData / "scenarios/inline.toml");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_TRUE(s.description.empty());
  EXPECT_EQ(s.file, kData / "scenarios/inline.toml");

  const TrafficSpec defaults;
  EXPECT_EQ(s.traffic.rate, defaults.rate);
  EXPECT_EQ(s.traffic.duration, defaults.duration);
  EXPECT_EQ(s.traffic.warmup, defaults.warmup);
  EXPECT_EQ(s.traffic.clients, defaults.clients);
  EXPECT_EQ(s.traffic.max_connections, defaults.max_connections);
  EXPECT_EQ(s.traffic.timeout, defaults.timeout);
  EXPECT_EQ(s.traffic.paths, defaults.paths);
  EXPECT_TRUE(s.traffic.frontend.empty());  // the topology's first frontend

  EXPECT_TRUE(s.faults.empty());
  ASSERT_EQ(s.expectations.size(), 1u);
  const Expectation expectation_defaults;
  const Expectation& e = s.expectations[0];
  EXPECT_EQ(e.during, Window::kAll);
  EXPECT_TRUE(e.target.empty());
  EXPECT_THAT(e.at_least, Optional(::testing::DoubleEq(1.0)));
  EXPECT_EQ(e.percentile, expectation_defaults.percentile);
  EXPECT_EQ(e.min_samples, expectation_defaults.min_samples);
}

TEST(ScenarioLoader, FaultDefaultsHaveNoHeal) {
  const Scenario s = parse_scenario(R"(
name = "no heal"
topology = "../topologies/valid_full.toml"
[[fault]]
at = "0s"
action = "restart"
target = "legacy/py"
[[expect]]
probe = "availability"
during = "recovery"
at_least = "100%"
)",
                                    kData / "scenarios/inline.toml");
  ASSERT_EQ(s.faults.size(), 1u);
  EXPECT_EQ(s.faults[0].at, 0s);
  EXPECT_EQ(s.faults[0].heal_after, std::nullopt);
  EXPECT_EQ(s.expectations.at(0).during, Window::kRecovery);
}

// A scenario against topologies/valid_full.toml whose only fault is `fault` (the lines after
// "[[fault]]", which is line 4).
Scenario load_with_fault(const std::string& fault) {
  return parse_scenario(fmt::format(R"(name = "params"
topology = "../topologies/valid_full.toml"
traffic = {{ duration = "30s" }}
[[fault]]
{}
[[expect]]
probe = "availability"
at_least = "99%"
)",
                                    fault),
                        kData / "scenarios/inline.toml");
}

std::string fault_error(const std::string& fault) {
  return expect_input_error([&] { (void)load_with_fault(fault); }).what();
}

TEST(ScenarioLoader, ReadsEachActionsParameters) {
  const auto params = [](const std::string& fault) { return load_with_fault(fault).faults.at(0); };
  EXPECT_THAT(params(R"(at = "1s"
action = "set_weight"
target = "app/web1"
weight = "50%")")
                .param<std::string>("weight"),
            Optional(std::string("50%")));
  // Above 100% is allowed: haproxy caps the resulting weight at 256.
  EXPECT_THAT(params(R"(at = "1s"
action = "set_weight"
target = "app/web1"
weight = "200%")")
                .param<std::string>("weight"),
            Optional(std::string("200%")));
  EXPECT_THAT(params(R"(at = "1s"
action = "set_weight"
target = "app/web1"
weight = "10")")
                .param<std::string>("weight"),
            Optional(std::string("10")));
  EXPECT_THAT(params(R"(at = "1s"
action = "set_weight"
target = "app/web1"
weight = 0)")
                .param<std::string>("weight"),
            Optional(std::string("0")));

  const FaultSpec corrupt = params(R"(at = "1s"
action = "config_corrupt"
target = "lb1"
mode = "wrong_server_port")");
  EXPECT_THAT(corrupt.param<std::string>("mode"), Optional(std::string("wrong_server_port")));
  EXPECT_THAT(corrupt.param<std::string>("apply"), Optional(std::string("reload")));

  const FaultSpec latency = params(R"(at = "1s"
action = "latency"
target = "app/web1"
latency = "200ms"
jitter = "50ms"
direction = "down"
toxicity = "50%")");
  EXPECT_THAT(latency.param<Duration>("latency"), Optional(Duration(200ms)));
  EXPECT_THAT(latency.param<Duration>("jitter"), Optional(Duration(50ms)));
  EXPECT_THAT(latency.param<std::string>("direction"), Optional(std::string("down")));
  EXPECT_DOUBLE_EQ(*latency.param<double>("toxicity"), 0.5);

  EXPECT_THAT(params(R"(at = "1s"
action = "bandwidth"
target = "app/web1"
bandwidth = 2048)")
                  .param<double>("bandwidth"),
              Optional(2048.0));
  EXPECT_THAT(params(R"(at = "1s"
action = "bandwidth"
target = "app/web1"
bandwidth = "100KB/s")")
                  .param<double>("bandwidth"),
              Optional(100'000.0));
  EXPECT_THAT(params(R"(at = "1s"
action = "bandwidth"
target = "app/web1"
bandwidth = "1.5MB/s")")
                  .param<double>("bandwidth"),
              Optional(1'500'000.0));

  const FaultSpec reset = params(R"(at = "1s"
action = "reset"
target = "app/web1"
direction = "up"
toxicity = 0.25)");
  EXPECT_THAT(reset.param<std::string>("direction"), Optional(std::string("up")));
  EXPECT_DOUBLE_EQ(*reset.param<double>("toxicity"), 0.25);

  const FaultSpec slice = params(R"(at = "1s"
action = "slice"
target = "app/web1"
slice_bytes = 16
latency = "1ms")");
  EXPECT_THAT(slice.param<std::int64_t>("slice_bytes"), Optional(16));
  EXPECT_THAT(slice.param<Duration>("latency"), Optional(Duration(1ms)));

  const FaultSpec errors = params(R"(at = "1s"
action = "errors"
target = "app/web1"
ratio = "25%"
status = 503)");
  EXPECT_THAT(errors.param<double>("ratio"), Optional(0.25));
  EXPECT_THAT(errors.param<std::int64_t>("status"), Optional(503));

  EXPECT_THAT(params(R"(at = "1s"
action = "slow"
target = "app/web1"
delay = "300ms")")
                  .param<Duration>("delay"),
              Optional(Duration(300ms)));

  const FaultSpec overload = params(R"(at = "1s"
action = "overload"
target = "app/web1"
max_inflight = 2
crash = true)");
  EXPECT_THAT(overload.param<std::int64_t>("max_inflight"), Optional(2));
  EXPECT_THAT(overload.param<bool>("crash"), Optional(true));
}

TEST(ScenarioLoader, OptionalParametersHaveTheirDefaults) {
  const FaultSpec errors = load_with_fault(R"(at = "1s"
action = "errors"
target = "app/web1"
ratio = 1)")
                                .faults.at(0);
  EXPECT_THAT(errors.param<std::int64_t>("status"), Optional(500));
  const FaultSpec blackhole = load_with_fault(R"(at = "1s"
action = "blackhole"
target = "app/web1")")
                                   .faults.at(0);
  EXPECT_THAT(blackhole.param<std::string>("direction"), Optional(std::string("both")));
  EXPECT_THAT(blackhole.param<double>("toxicity"), Optional(1.0));
  EXPECT_EQ(blackhole.param<Duration>("latency"), std::nullopt);
}

TEST(ScenarioLoader, RandomFaultStoresItsListsAndTiming) {
  const FaultSpec random = load_with_fault(R"(at = "2s"
action = "random"
actions = ["kill", "pause", "blackhole"]
targets = ["app/web1", "app/web2"]
min_gap = "500ms"
max_duration = "4s")")
                               .faults.at(0);
  EXPECT_EQ(random.action, "random");
  EXPECT_TRUE(random.target.empty());
  EXPECT_EQ(random.heal_after, std::nullopt);
  EXPECT_THAT(random.param<std::vector<std::string>>("actions"),
              Optional(std::vector<std::string>{"kill", "pause", "blackhole"}));
  EXPECT_THAT(random.param<std::vector<std::string>>("targets"),
              Optional(std::vector<std::string>{"app/web1", "app/web2"}));
  EXPECT_THAT(random.param<Duration>("min_gap"), Optional(Duration(500ms)));
  EXPECT_THAT(random.param<Duration>("min_duration"), Optional(Duration(1s)));  // the default
  EXPECT_THAT(random.param<Duration>("max_duration"), Optional(Duration(4s)));
}

TEST(ScenarioLoader, RandomFaultCoversProbesOnItsTargetsOnly) {
  const auto load = [](std::string_view probe_target) {
    return parse_scenario(fmt::format(R"(name = "random"
topology = "../topologies/valid_full.toml"
[[fault]]
at = "2s"
action = "random"
actions = ["kill"]
targets = ["app/web1"]
[[expect]]
probe = "failover_time"
target = "{}"
at_most = "1s"
)",
                                      probe_target),
                          kData / "scenarios/inline.toml");
  };
  EXPECT_NO_THROW((void)load("app/web1"));
  const InputError error = expect_input_error([&] { (void)load("app/web2"); });
  EXPECT_THAT(error.what(), HasSubstr("none is scheduled (faults: random over app/web1)"));
}

TEST(ScenarioLoader, MttrMeasuresABadConfigAppliedByRestartButNotByReload) {
  const auto load = [](std::string_view apply) {
    return parse_scenario(fmt::format(R"(name = "bad config"
topology = "../topologies/valid_full.toml"
[[fault]]
at = "2s"
action = "config_corrupt"
target = "lb0"
mode = "syntax_error_new_server"
apply = "{}"
heal_after = "2s"
[[expect]]
probe = "mttr"
target = "lb0"
at_most = "4s"
)",
                                      apply),
                          kData / "scenarios/inline.toml");
  };
  const Scenario scenario = load("restart");
  ASSERT_EQ(scenario.expectations.size(), 1u);
  EXPECT_EQ(scenario.expectations[0].probe, "mttr");
  EXPECT_EQ(scenario.expectations[0].target, "lb0");
  // A refused reload leaves the old worker serving: there is no outage to repair.
  const InputError error = expect_input_error([&] { (void)load("reload"); });
  EXPECT_THAT(error.what(),
              HasSubstr(":12:10: probe mttr measures from a [[fault]] with action = \"lb_kill\" "
                        "or action = \"config_corrupt\" with apply = \"restart\" on lb0, but "
                        "none is scheduled (faults: config_corrupt lb0 by reload)"));
}

TEST(ScenarioLoader, FaultParameterErrorsSayWhatIsExpected) {
  struct Case {
    std::string fault;
    std::string error;  // a substring, after "file:line:col: "
  };
  const std::vector<Case> cases{
      {"at = \"1s\"\naction = \"drain\"\ntarget = \"app/web1\"\ndelay = \"1s\"",
       ":8:1: 'delay' is not a parameter of fault action 'drain' (it takes: at, action, target, "
       "heal_after)"},
      {"at = \"1s\"\naction = \"slow\"\ntarget = \"app/web1\"\nratio = 0.5",
       ":8:1: 'ratio' is not a parameter of fault action 'slow' (it takes: at, action, target, "
       "heal_after, delay)"},
      {"at = \"1s\"\naction = \"set_weight\"\ntarget = \"app/web1\"",
       ":4:1: missing required key 'weight' in [fault]: fault action set_weight needs it"},
      {"at = \"1s\"\naction = \"set_weight\"\ntarget = \"app/web1\"\nweight = \"heavy\"",
       "weight: expected a percentage of the initial weight like \"50%\" or an absolute weight "
       "from 0 to 256 like 10, found string \"heavy\""},
      {"at = \"1s\"\naction = \"set_weight\"\ntarget = \"app/web1\"\nweight = \"-5%\"",
       "weight: expected a percentage"},
      {"at = \"1s\"\naction = \"set_weight\"\ntarget = \"app/web1\"\nweight = \"30000%\"",
       "weight must be between 0% and 25600% of the initial weight (haproxy caps the result at "
       "256), found string \"30000%\""},
      {"at = \"1s\"\naction = \"set_weight\"\ntarget = \"app/web1\"\nweight = \"257\"",
       "weight must be between 0 and 256, found string \"257\""},
      {"at = \"1s\"\naction = \"config_corrupt\"\ntarget = \"lb0\"\nmode = \"explode\"",
       "mode must be one of: syntax_error_new_server, unknown_keyword, truncated"},
      {"at = \"1s\"\naction = \"config_corrupt\"\ntarget = \"lb0\"\nmode = \"truncated\"\n"
       "apply = \"hot\"",
       "apply must be one of: reload, restart (found \"hot\")"},
      {"at = \"1s\"\naction = \"latency\"\ntarget = \"app/web1\"\nlatency = \"0ms\"",
       "latency must be greater than 0"},
      {"at = \"1s\"\naction = \"bandwidth\"\ntarget = \"app/web1\"\nbandwidth = 0",
       "bandwidth must be at least 1 byte per second, found integer 0"},
      {"at = \"1s\"\naction = \"bandwidth\"\ntarget = \"app/web1\"\nbandwidth = \"1MB\"",
       "bandwidth: expected bytes per second"},
      {"at = \"1s\"\naction = \"slice\"\ntarget = \"app/web1\"\nslice_bytes = 0",
       "slice_bytes must be at least 1, found 0"},
      {"at = \"1s\"\naction = \"errors\"\ntarget = \"app/web1\"\nratio = \"120%\"",
       "ratio: expected a percentage"},
      {"at = \"1s\"\naction = \"errors\"\ntarget = \"app/web1\"\nratio = 1\nstatus = 404",
       "status must be between 500 and 599, found 404"},
      {"at = \"1s\"\naction = \"overload\"\ntarget = \"app/web1\"\nmax_inflight = 0",
       "max_inflight must be at least 1, found 0"},
      {"at = \"1s\"\naction = \"random\"\ntarget = \"app/web1\"\nactions = [\"kill\"]\n"
       "targets = [\"app/web1\"]",
       ":7:1: 'target' is not a parameter of fault action 'random'"},
      {"at = \"1s\"\naction = \"random\"\nactions = []\ntargets = [\"app/web1\"]",
       "actions must list at least one action to draw from"},
      {"at = \"1s\"\naction = \"random\"\nactions = [\"kill\", \"kill\"]\ntargets = [\"app/web1\"]",
       ":7:20: actions: 'kill' is listed twice"},
      {"at = \"1s\"\naction = \"random\"\nactions = [\"kill\"]\ntargets = [\"app/web1\", \"lb0\"]",
       ":8:24: random targets a server, not haproxy instance lb0"},
      {"at = \"1s\"\naction = \"random\"\nactions = [\"kill\"]\ntargets = [\"app/web9\"]",
       ":8:12: target app/web9 is not in topology full.example-1"},
      {"at = \"1s\"\naction = \"random\"\nactions = [\"kill\"]\ntargets = [\"app/web1\"]\n"
       "max_duration = \"500ms\"",
       ":9:16: min_duration 1s (the default) is longer than max_duration 500ms"},
      {"at = \"28s\"\naction = \"random\"\nactions = [\"kill\"]\ntargets = [\"app/web1\"]\n"
       "min_duration = \"2s\"",
       ":5:6: random from 28s cannot fit one fault of min_duration 2s that heals before the end "
       "of the run (duration 30s)"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(fault_error(c.fault), HasSubstr(c.error)) << c.fault;
  }
}

TEST(ScenarioLoader, QuickstartKillExampleLoads) {
  const Scenario s = load_scenario(kSource / "topologies/quickstart-kill.toml");
  EXPECT_EQ(s.topology.name, "quickstart");
  EXPECT_EQ(s.traffic.rate, 200);
  EXPECT_EQ(s.traffic.duration, 15s);
  EXPECT_EQ(s.traffic.warmup, 2s);
  EXPECT_TRUE(s.traffic.frontend.empty());

  ASSERT_EQ(s.faults.size(), 1u);
  EXPECT_EQ(s.faults[0].at, 5s);
  EXPECT_EQ(s.faults[0].action, "kill");
  EXPECT_EQ(s.faults[0].target, "app/web1");
  EXPECT_THAT(s.faults[0].heal_after, Optional(Duration(4s)));

  const auto& e = s.expectations;
  ASSERT_EQ(e.size(), 7u);
  EXPECT_EQ(e[0].probe, "availability");
  EXPECT_EQ(e[0].during, Window::kAll);
  EXPECT_THAT(e[0].at_least, Optional(::testing::DoubleEq(0.99)));
  EXPECT_EQ(e[1].probe, "failover_time");
  EXPECT_EQ(e[1].target, "app/web1");
  EXPECT_THAT(e[1].at_most, Optional(::testing::DoubleEq(2.0)));
  EXPECT_EQ(e[2].probe, "recovery_time");
  EXPECT_EQ(e[2].target, "app/web1");
  EXPECT_THAT(e[2].at_most, Optional(::testing::DoubleEq(3.0)));
  EXPECT_EQ(e[3].probe, "detection_time");
  EXPECT_EQ(e[3].target, "app/web1");
  EXPECT_THAT(e[3].at_most, Optional(::testing::DoubleEq(1.5)));
  EXPECT_EQ(e[4].probe, "latency");
  EXPECT_EQ(e[4].during, Window::kSteady);
  EXPECT_DOUBLE_EQ(e[4].percentile, 99);
  EXPECT_THAT(e[4].at_most, Optional(::testing::DoubleEq(0.5)));
  ASSERT_TRUE(e[5].alert.has_value());
  EXPECT_EQ(e[5].alert->kind, AlertCheck::Kind::kFiresWithin);
  EXPECT_EQ(e[5].alert->rule, "HaproxyServerDown");
  EXPECT_EQ(e[5].alert->labels, (observe::Labels{{"server", "web1"}}));
  EXPECT_EQ(e[5].alert->within, 3s);
  ASSERT_TRUE(e[6].alert.has_value());
  EXPECT_EQ(e[6].alert->kind, AlertCheck::Kind::kResolvesWithin);
  EXPECT_EQ(e[6].alert->within, 4s);
}

TEST(ScenarioLoader, SilentAlertWithoutARuleMeansEveryRule) {
  const Scenario s = load_scenario(std::filesystem::path(LBCHAOS_TEST_DATA) /
                                   "integration/alerting/steady.toml");
  ASSERT_EQ(s.expectations.size(), 1u);
  ASSERT_TRUE(s.expectations[0].alert.has_value());
  EXPECT_EQ(s.expectations[0].alert->kind, AlertCheck::Kind::kSilent);
  EXPECT_TRUE(s.expectations[0].alert->rule.empty());
}

TEST(ScenarioLoader, UserConfigTopologySkipsTheFrontendCheck) {
  const Scenario s = load_scenario(kData / "scenarios/user_config.toml");
  EXPECT_TRUE(s.topology.uses_user_config());
  EXPECT_EQ(s.traffic.frontend, "www");
  ASSERT_EQ(s.faults.size(), 1u);
  EXPECT_EQ(s.faults[0].target, "app/web1");
}

TEST(ScenarioLoader, TopologyErrorsKeepTheTopologyFilesPosition) {
  const fs::path scenario = kData / "malformed_scenarios/topology_with_error.toml";
  const InputError error = expect_input_error([&] { (void)load_scenario(scenario); });
  const fs::path topology = kData / "malformed_scenarios/support/broken_topology.toml.in";
  EXPECT_EQ(error.where().file, topology.string());
  EXPECT_EQ(error.where().line, 10);
  EXPECT_EQ(error.where().column, 1);
  EXPECT_THAT(error.what(), StartsWith(topology.string() + ":10:1: unknown key 'lateny'"));
}

TEST(ScenarioLoader, MissingFileSaysWhy) {
  const InputError error = expect_input_error([] { (void)load_scenario("/nonexistent/s.toml"); });
  EXPECT_STREQ(error.what(),
               "cannot read scenario file /nonexistent/s.toml: No such file or directory");
}

TEST(ScenarioLoader, ErrorsUseThePathAsGiven) {
  const InputError error = expect_input_error([] {
    (void)parse_scenario("name = \"s\"\ntopology = \"t.toml\"\n", "some/dir/s.toml");
  });
  EXPECT_EQ(error.where().file, "some/dir/s.toml");
  EXPECT_EQ(error.where().line, 2);
  EXPECT_EQ(error.where().column, 12);
  EXPECT_THAT(error.what(),
              StartsWith("some/dir/s.toml:2:12: topology file some/dir/t.toml does not exist"));
}

TEST(ScenarioLoader, LooksLikeScenarioTellsScenariosFromTopologies) {
  EXPECT_TRUE(looks_like_scenario(kData / "scenarios/valid_full.toml"));
  EXPECT_TRUE(looks_like_scenario(kSource / "topologies/quickstart-kill.toml"));
  EXPECT_FALSE(looks_like_scenario(kData / "topologies/valid_full.toml"));
  EXPECT_FALSE(looks_like_scenario(kSource / "topologies/quickstart.toml"));
  // A scenario whose TOML does not parse is still a scenario, so its loader reports the error.
  EXPECT_TRUE(looks_like_scenario(kData / "malformed_scenarios/toml_syntax_error.toml"));
  // A topology with a syntax error is not.
  EXPECT_FALSE(looks_like_scenario(kData / "malformed/toml_syntax_error.toml"));
  EXPECT_FALSE(looks_like_scenario("/nonexistent/s.toml"));
  EXPECT_FALSE(looks_like_scenario(kData / "scenarios"));
}

// ---- the malformed corpus: tests/data/malformed_scenarios/*.toml, one mistake per file ----

std::vector<fs::path> corpus_files() {
  return test_support::corpus_files(kData / "malformed_scenarios");
}

class ScenarioCorpus : public ::testing::TestWithParam<fs::path> {};

TEST_P(ScenarioCorpus, FailsAtTheStatedPositionWithTheStatedMessage) {
  const CorpusCase c = read_case(GetParam());
  ASSERT_GT(c.line, 0) << GetParam() << ": first line must be '# expect: L:C substring'";

  const InputError error = expect_input_error([&] { (void)load_scenario(c.file); });

  const std::string prefix = fmt::format("{}:{}:{}: ", c.error_file.string(), c.line, c.column);
  EXPECT_THAT(error.what(), StartsWith(prefix));
  EXPECT_THAT(error.what(), HasSubstr(c.substring));
  EXPECT_EQ(error.where().file, c.error_file.string());
  EXPECT_EQ(error.where().line, c.line);
  EXPECT_EQ(error.where().column, c.column);
}

INSTANTIATE_TEST_SUITE_P(Malformed, ScenarioCorpus, ::testing::ValuesIn(corpus_files()),
                         [](const ::testing::TestParamInfo<fs::path>& param) {
                           std::string name = param.param.stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(ScenarioCorpusSize, HasAtLeastFifteenFiles) { EXPECT_GE(corpus_files().size(), 15u); }

// The corpus's support folder holds only what `lbchaos check` may load: valid topologies.
TEST(ScenarioCorpusSize, SupportTomlFilesAreValidTopologies) {
  for (const auto& entry : fs::directory_iterator(kData / "malformed_scenarios/support")) {
    if (entry.path().extension() != ".toml") continue;
    EXPECT_NO_THROW((void)topology::load_topology(entry.path())) << entry.path();
  }
}

}  // namespace
}  // namespace lbchaos::scenario
