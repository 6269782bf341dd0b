// Static analysis (stage 2 of `lbchaos validate`) over the config model and the corpus under
// tests/data/validate: every bad config is flagged with the reason a reviewer would name, and
// no good config has an error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>
#include <fstream>
#include <map>
#include <set>

#include "faults/catalogue.h"
#include "harness/topology/loader.h"
#include "harness/topology/slo_loader.h"
#include "harness/validate/haproxy_config.h"
#include "harness/validate/scenario_factory.h"
#include "harness/validate/static_analysis.h"
#include "harness/validate/suite.h"
#include "harness/validate/validation.h"
#include "tests/shared/validate_corpus.h"

namespace lbchaos::validate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

const fs::path kCorpus = fs::path(LBCHAOS_TEST_DATA) / "validate";

// The findings for a corpus config, with its .toml topology when it has one.
std::vector<Finding> findings_for(const std::string& name) {
  const fs::path config_path = kCorpus / (name + ".cfg");
  const auto config = read_haproxy_config(config_path);
  std::optional<topology::Topology> user;
  topology::Slo slo;
  if (fs::exists(kCorpus / (name + ".toml"))) {
    user = topology::load_topology(kCorpus / (name + ".toml"));
    slo = topology::load_slo(kCorpus / (name + ".toml"));
  }
  return analyse(config, make_run_topology(config_path, config, user, slo), slo);
}

std::set<std::string> checks(const std::vector<Finding>& findings, Finding::Severity severity) {
  std::set<std::string> out;
  for (const auto& f : findings) {
    if (f.severity == severity) out.insert(f.check);
  }
  return out;
}

TEST(ValidateConfigModel, ReadsDefaultsInheritanceDefaultServerAndTimeouts) {
  const auto config = parse_haproxy_config(R"(global
    maxconn 500
defaults base
    mode http
    timeout server 3s
    option redispatch
    retries 2
frontend www
    bind :80
    use_backend api if { path_beg /api }
    default_backend app
backend app
    balance leastconn
    no option redispatch
    option httpchk HEAD /ready
    timeout check 250   # ms
    default-server inter 1s fastinter 300ms fall 4 rise 3
    server a 10.0.0.1:80 check weight 5 maxconn 20
    server b 10.0.0.2:80 check backup inter 2s
defaults other
    mode tcp
backend api from base
    server c "10.0.0.3:80" check
)", "t.cfg");
  EXPECT_EQ(config.global_maxconn, 500);
  ASSERT_EQ(config.proxies.size(), 3U);
  const auto* app = config.find("app");
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(app->http);
  EXPECT_EQ(app->balance.value, "leastconn");
  EXPECT_FALSE(app->redispatch.value);
  EXPECT_EQ(app->redispatch.line, 14);
  EXPECT_EQ(app->retries.value, 2);
  EXPECT_EQ(app->check_path, "/ready");
  EXPECT_EQ(app->timeout("server")->value, 3s);
  EXPECT_EQ(app->timeout("check")->value, 250ms);
  ASSERT_EQ(app->servers.size(), 2U);
  const auto& a = app->servers[0];
  EXPECT_EQ(a.weight, 5);
  EXPECT_EQ(a.maxconn, 20);
  EXPECT_EQ(a.inter, 1s);
  EXPECT_EQ(a.fastinter, 300ms);
  EXPECT_EQ(a.fall, 4);
  EXPECT_EQ(a.rise, 3);
  EXPECT_EQ(a.line, 18);
  EXPECT_TRUE(app->servers[1].backup);
  EXPECT_EQ(app->servers[1].inter, 2s);
  // `from base` picks the named defaults, not the last one.
  const auto* api = config.find("api");
  ASSERT_NE(api, nullptr);
  EXPECT_TRUE(api->http);
  EXPECT_TRUE(api->redispatch.value);
  EXPECT_EQ(api->servers[0].address, "10.0.0.3:80");
  EXPECT_EQ(config.traffic_backend(), app);
}

TEST(ValidateConfigModel, ParsesHaproxyTimes) {
  EXPECT_EQ(parse_haproxy_time("500"), 500ms);
  EXPECT_EQ(parse_haproxy_time("2s"), 2s);
  EXPECT_EQ(parse_haproxy_time("1m"), 1min);
  EXPECT_EQ(parse_haproxy_time("100us"), 100us);
  EXPECT_FALSE(parse_haproxy_time("fast").has_value());
}

TEST(ValidateStatic, FindingsCarryLineNumberAndSlo) {
  const auto findings = findings_for("bad-slow-detection");
  const Finding* detection = nullptr;
  for (const auto& f : findings) {
    if (f.check == "detection_time") detection = &f;
  }
  ASSERT_NE(detection, nullptr);
  EXPECT_EQ(detection->severity, Finding::Severity::kError);
  EXPECT_THAT(detection->where.file, HasSubstr("bad-slow-detection.cfg"));
  EXPECT_EQ(detection->where.line, 22);  // the default-server line
  ASSERT_TRUE(detection->value.has_value());
  EXPECT_DOUBLE_EQ(*detection->value, 24.0);  // inter 6s + 3 x fastinter 6s
  EXPECT_EQ(detection->slo, "detection <= 10.00s");
}


TEST(ValidateStatic, EveryBadCorpusConfigFailsWithTheReasonAReviewerWouldName) {
  for (const auto& [name, check] : test_support::kBadCorpusConfigs) {
    const auto errors = checks(findings_for(name), Finding::Severity::kError);
    EXPECT_TRUE(errors.contains(check)) << name << " should fail with " << check;
  }
  // Seed 004: the small server is also over its capacity at the peak.
  EXPECT_TRUE(checks(findings_for("bad-small-server-equal-weight"), Finding::Severity::kError)
                  .contains("capacity"));
}

// The shared list (tests/shared/validate_corpus.h) is the whole corpus, so the integration
// tests run every config; the typo config is haproxy's to reject and has its own test.
TEST(ValidateStatic, TheCorpusListNamesEveryGoodAndBadConfig) {
  std::set<std::string> listed;
  for (const auto& [name, check] : test_support::every_corpus_config()) listed.insert(name);
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    const auto stem = entry.path().stem().string();
    if (entry.path().extension() != ".cfg" || stem == "bad-typo-new-server") continue;
    if (stem.rfind("good-", 0) != 0 && stem.rfind("bad-", 0) != 0) continue;
    EXPECT_TRUE(listed.contains(stem)) << stem << " is not in tests/shared/validate_corpus.h";
  }
}

TEST(ValidateStatic, EveryGoodCorpusConfigHasNoError) {
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    const auto stem = entry.path().stem().string();
    if (entry.path().extension() != ".cfg" || stem.rfind("good-", 0) != 0) continue;
    const auto findings = findings_for(stem);
    for (const auto& f : findings) {
      EXPECT_NE(f.severity, Finding::Severity::kError)
          << stem << ": " << f.where.to_string() << " " << f.check << ": " << f.message;
    }
  }
}

// The servers' health answer is the topology's when it describes one: servers that do answer
// 204 make `http-check expect status 204` right, and the suite's servers answer 200 otherwise.
TEST(ValidateStatic, AHealthAnswerDescribedInTheTopologyIsWhatTheCheckIsJudgedAgainst) {
  const fs::path config_path = kCorpus / "bad-http-check-status.cfg";
  const auto config = read_haproxy_config(config_path);
  const topology::Slo slo;
  const auto undescribed = make_run_topology(config_path, config, std::nullopt, slo);
  ASSERT_TRUE(undescribed.find_backend("app")->health.has_value());
  EXPECT_EQ(undescribed.find_backend("app")->health->status, 200);
  EXPECT_TRUE(checks(analyse(config, undescribed, slo), Finding::Severity::kError)
                  .contains("health_check_expect"));

  const std::string text = "name = \"t\"\n[haproxy]\nconfig = \"bad-http-check-status.cfg\"\n"
                           "[[backend]]\nname = \"app\"\nhealth = { status = 204 }\n";
  const auto described = make_run_topology(
      config_path, config, topology::parse_topology(text, kCorpus / "t.toml"), slo);
  EXPECT_EQ(described.find_backend("app")->health->status, 204);
  EXPECT_FALSE(checks(analyse(config, described, slo), Finding::Severity::kError)
                   .contains("health_check_expect"));
}

// A server that comes back but rightly gets no requests (a later server under `balance first`,
// weight 0, a backup) is not judged on serving again.
TEST(ValidateSuitePlan, RecoveryIsJudgedOnlyWhereTrafficGoesBack) {
  const fs::path config_path = kCorpus / "good-first-sized-maxconn.cfg";
  const auto config = read_haproxy_config(config_path);
  const topology::Slo slo;
  const auto plan = plan_suite(config, make_run_topology(config_path, config, std::nullopt, slo),
                               slo, 1);
  std::vector<std::string> recovery_judged;
  for (const auto& phase : plan.resilience_phases) {
    if (phase.kind != Phase::Kind::kKill) continue;
    for (const auto& e : phase.expectations) {
      if (e.probe == "recovery_time") recovery_judged.push_back(phase.target);
    }
  }
  EXPECT_EQ(recovery_judged, std::vector<std::string>{"app/web1"});

  const fs::path roundrobin = kCorpus / "good-roundrobin.cfg";
  const auto rr = read_haproxy_config(roundrobin);
  int judged = 0;
  for (const auto& phase :
       plan_suite(rr, make_run_topology(roundrobin, rr, std::nullopt, slo), slo, 1).resilience_phases) {
    for (const auto& e : phase.expectations) judged += e.probe == "recovery_time" ? 1 : 0;
  }
  EXPECT_EQ(judged, 4);  // three kills and the health-only failure

  // Weight 0 (web2, web3): back and UP, they get no requests, which is not a failed recovery.
  const fs::path weight_zero = kCorpus / "bad-weight-zero.cfg";
  const auto wz = read_haproxy_config(weight_zero);
  std::vector<std::string> wz_judged;
  for (const auto& phase : plan_suite(wz, make_run_topology(weight_zero, wz, std::nullopt, slo), slo, 1)
                               .resilience_phases) {
    if (phase.kind != Phase::Kind::kKill) continue;
    for (const auto& e : phase.expectations) {
      if (e.probe == "recovery_time") wz_judged.push_back(phase.target);
    }
  }
  EXPECT_EQ(wz_judged, std::vector<std::string>{"app/web1"});
}

// Without a described capacity, a backend with one active server and a backup is not failed
// on capacity: its undescribed server serves enough at once to absorb the peak with headroom.
TEST(ValidateStatic, FewActiveServersGetACapacityThatAbsorbsThePeak) {
  const fs::path dir = fs::temp_directory_path() / ("lbchaos-capacity-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path config_path = dir / "active-passive.cfg";
  std::ofstream(config_path) << "defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n"
                                "  timeout server 5s\n  option redispatch\n  retries 3\n"
                                "frontend www\n  bind :80\n  default_backend app\n"
                                "backend app\n  option httpchk GET /health\n"
                                "  server web1 10.0.0.11:8080 check\n"
                                "  server web2 10.0.0.12:8080 check backup\n";
  const auto config = read_haproxy_config(config_path);
  topology::Slo slo;  // peak 200/s, 20 ms: one active server needs 4 at once, 6 with headroom
  const auto run = make_run_topology(config_path, config, std::nullopt, slo);
  EXPECT_EQ(run.find_server("app", "web1")->max_inflight, 6);
  EXPECT_FALSE(checks(analyse(config, run, slo), Finding::Severity::kError).contains("capacity"));

  slo.server_concurrency = 2;  // said in [slo]: taken as it is, and then the peak is too much
  slo.server_concurrency_set = true;
  const auto fixed = make_run_topology(config_path, config, std::nullopt, slo);
  EXPECT_EQ(fixed.find_server("app", "web1")->max_inflight, 2);
  EXPECT_TRUE(checks(analyse(config, fixed, slo), Finding::Severity::kError).contains("capacity"));
  fs::remove_all(dir);
}

TEST(ValidateStatic, WarningsDoNotFailValidation) {
  EXPECT_TRUE(checks(findings_for("warn-single-lb"), Finding::Severity::kWarning).contains("single_lb"));
  EXPECT_TRUE(checks(findings_for("warn-single-server"), Finding::Severity::kWarning)
                  .contains("single_server"));
  EXPECT_TRUE(checks(findings_for("warn-unrouted"), Finding::Severity::kWarning)
                  .contains("unrouted_requests"));
  for (const auto* name : {"warn-single-lb", "warn-single-server", "warn-unrouted"}) {
    EXPECT_TRUE(checks(findings_for(name), Finding::Severity::kError).empty()) << name;
  }
}

TEST(ValidateStatic, CorpusHasAtLeastFifteenBadAndSixGoodConfigs) {
  int bad = 0;
  int good = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.path().extension() != ".cfg") continue;
    const auto stem = entry.path().stem().string();
    bad += stem.rfind("bad-", 0) == 0 ? 1 : 0;
    good += stem.rfind("good-", 0) == 0 ? 1 : 0;
  }
  EXPECT_GE(bad, 15);
  EXPECT_GE(good, 6);
}

TEST(ValidateStatic, SloTableIsReadFromTheTopologyAndRejectsUnknownKeys) {
  const std::string text =
      "name = \"t\"\n[haproxy]\nconfig = \"good-roundrobin.cfg\"\n[slo]\navailability = \"99.9%\"\n"
      "p99_latency = \"100ms\"\ndetection = \"3s\"\npeak_rate = 900\nrate = 300\nclients = 8\n";
  (void)topology::parse_topology(text, kCorpus / "t.toml");  // the strict loader accepts [slo]
  const auto toml = parse_toml(text, "t.toml");
  const auto slo = topology::read_slo(TableReader(toml.root, toml.file, "the top level"));
  EXPECT_DOUBLE_EQ(slo.availability, 0.999);
  EXPECT_EQ(slo.p99_latency, 100ms);
  EXPECT_EQ(slo.detection, 3s);
  EXPECT_DOUBLE_EQ(slo.peak_rate, 900);
  EXPECT_EQ(slo.clients, 8);
  EXPECT_EQ(topology::Slo{}.detection, 10s);  // the defaults a web tier accepts
  try {
    (void)topology::parse_topology(
        "name = \"t\"\n[haproxy]\nconfig = \"good-roundrobin.cfg\"\n[slo]\navailabilty = 0.9\n",
        kCorpus / "t.toml");
    FAIL() << "an unknown [slo] key was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("t.toml:5:1"));
    EXPECT_THAT(e.what(), HasSubstr("availabilty"));
  }
}

// The generated suite names its faults through the catalogue: each is a declared action, and
// each parameter one that action takes.
TEST(GeneratedSuiteFaults, AreActionsOfTheCatalogueWithTheirParameters) {
  for (const auto& spec : {kill_fault("app/web1", 5s, 2s), health_fail_fault("app/web1", 5s, 2s),
                           reload_fault("lb0", 5s, 1s)}) {
    const faults::ActionInfo* action = faults::find_action(spec.action);
    ASSERT_NE(action, nullptr) << spec.action;
    for (const auto& [key, value] : spec.params) {
      const auto keys = faults::keys_of(*action);
      EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end())
          << spec.action << " takes no parameter " << key;
    }
  }
}

}  // namespace
}  // namespace lbchaos::validate
