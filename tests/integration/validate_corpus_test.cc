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
#include "tests/shared/validate_corpus.h"

namespace lbchaos {
namespace {

using namespace test_support;

std::string test_name(const ::testing::TestParamInfo<CorpusConfig>& info) {
  std::string name = info.param.first;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

class EveryCorpusConfig : public ::testing::TestWithParam<CorpusConfig> {};

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
                         ::testing::ValuesIn(every_corpus_config()),
                         test_name);

class BadCorpusConfig : public ::testing::TestWithParam<CorpusConfig> {};

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
