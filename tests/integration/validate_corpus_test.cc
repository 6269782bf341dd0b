// The validate corpus (tests/data/validate): every config, good and bad, through `lbchaos
// validate` with no other flag than its topology. CI runs each once: every bad one fails naming
// the mechanism a reviewer would name, every good one passes. The `validate-corpus` label
// (tests/CMakeLists.txt, ~40 minutes) runs them three times each with no flip, the bad ones again
// with static analysis off (the verdict rests on a measurement), and the same config as baseline
// and candidate ten times without a regression.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/integration/support/validation_run.h"

namespace lbchaos {
namespace {

using namespace test_support;

using ConfigAndReason = std::pair<std::string, std::string>;

// What each corpus config must show when it runs; "" for a good one.
const std::vector<ConfigAndReason> kCorpusReasons{
    {"good-roundrobin", ""},
    {"good-leastconn", ""},
    {"good-static-rr", ""},
    {"good-source-many-clients", ""},
    {"good-first-sized-maxconn", ""},
    {"good-observe-layer4", ""},
    {"good-weighted-capacity", ""},
    {"bad-slow-detection", "detection_time"},
    {"bad-slow-recovery", "recovery_time"},
    {"bad-missing-check", "no_health_check"},
    {"bad-no-redispatch", "no_redispatch"},
    {"bad-retries-zero", "no_retries"},
    {"bad-weight-zero", "weight_zero"},
    {"bad-weights-skewed", "distribution"},
    {"bad-small-server-equal-weight", "distribution"},
    {"bad-balance-first-no-maxconn", "balance_first_maxconn"},
    {"bad-source-behind-nat", "hash_few_clients"},
    {"bad-maxconn-queue", "maxconn"},
    {"bad-timeout-server", "timeout_server"},
    {"bad-http-check-status", "health_check_expect"},
    {"bad-http-check-string", "health_check_expect"},
    {"bad-all-weights-zero", "weights_all_zero"},
    {"bad-timeout-check", "timeout_check"},
    {"bad-timeout-connect", "timeout_connect"},
};

// Bad configs the generated suite catches without static analysis, and the probe that does.
const std::vector<ConfigAndReason> kCaughtByMeasurement{
    {"bad-slow-detection", "detection_time"},     {"bad-slow-recovery", "recovery_time"},
    {"bad-missing-check", "detection_time"},      {"bad-no-redispatch", "availability"},
    {"bad-retries-zero", "availability"},         {"bad-weight-zero", "distribution"},
    {"bad-weights-skewed", "distribution"},       {"bad-small-server-equal-weight", "distribution"},
    {"bad-balance-first-no-maxconn", "latency"},  {"bad-source-behind-nat", "distribution"},
    {"bad-maxconn-queue", "availability"},        {"bad-timeout-server", "availability"},
    {"bad-http-check-status", "readiness"},       {"bad-http-check-string", "readiness"},
    {"bad-all-weights-zero", "availability"},
};

std::string test_name(const ::testing::TestParamInfo<ConfigAndReason>& info) {
  std::string name = info.param.first;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

class EveryCorpusConfig : public ::testing::TestWithParam<ConfigAndReason> {};

TEST_P(EveryCorpusConfig, PassesIfGoodAndFailsNamingTheMechanismIfBad) {
  const auto& [name, reason] = GetParam();
  const auto v = validate(name);
  if (reason.empty()) {
    EXPECT_EQ(v.exit_code, 0) << name << "\n" << v.out;
    return;
  }
  EXPECT_EQ(v.exit_code, 1) << name << "\n" << v.out;
  bool named = false;
  for (const auto& f : v.json["findings"]) named = named || f["check"] == reason;
  EXPECT_TRUE(named) << name << " should name " << reason << "\n" << v.out;
}

INSTANTIATE_TEST_SUITE_P(ValidateCorpus, EveryCorpusConfig,
                         ::testing::ValuesIn(kCorpusReasons),
                         test_name);

class BadCorpusConfig : public ::testing::TestWithParam<ConfigAndReason> {};

TEST_P(BadCorpusConfig, DISABLED_IsCaughtWithStaticAnalysisOff) {
  const auto& [name, probe] = GetParam();
  const auto v = validate(name, {"--no-static"});
  EXPECT_EQ(v.exit_code, 1) << name << "\n" << v.out;
  bool failed = false;
  for (const auto& row : v.json["suite"]["probes"]) {
    failed = failed || (row["probe"] == probe && row["verdict"] == "fail");
  }
  EXPECT_TRUE(failed) << name << ": expected " << probe << " to fail\n" << v.out;
}

INSTANTIATE_TEST_SUITE_P(ValidateCorpus, BadCorpusConfig,
                         ::testing::ValuesIn(kCaughtByMeasurement),
                         test_name);

TEST(ValidateCorpus, DISABLED_TheSameConfigAsBaselineNeverRegressesInTenRuns) {
  for (int run = 1; run <= 10; ++run) {
    const auto v = validate("good-roundrobin",
                            {"--baseline", (kValidateCorpus / "good-roundrobin.cfg").string()});
    EXPECT_EQ(v.exit_code, 0) << "run " << run << "\n" << v.out;
    for (const auto& c : v.json["comparisons"]) {
      EXPECT_NE(c["verdict"], "regression") << "run " << run << ": " << c.dump();
    }
  }
}

}  // namespace
}  // namespace lbchaos
