#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "harness/common/errors.h"
#include "harness/report/junit_journal.h"
#include "harness/report/merge.h"
#include "tests/unit/support/synthetic_journal.h"

namespace lbchaos::report {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using nlohmann::json;

class MergeTest : public ::testing::Test {
 protected:
  MergeTest() {
    std::string pattern = (fs::temp_directory_path() / "lbchaos-merge-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~MergeTest() override { fs::remove_all(dir_); }

  static json scenario(const std::string& name, int suite_index, const std::string& outcome) {
    test_support::SyntheticRun run{.seconds = 2, .rate = 50, .kill_at_s = 0.5, .spike_at_s = 1};
    auto s = test_support::synthetic_scenario(run, name);
    s["suite_index"] = suite_index;
    s["outcome"] = outcome;
    if (outcome == "passed") s["probes"].erase(1);  // keep only the passing probe
    return s;
  }

  fs::path shard(int index, int total, std::vector<json> scenarios) {
    const json journal{{"tool", "lbchaos"}, {"shard", {{"index", index}, {"total", total}}},
                       {"scenarios", scenarios}, {"summary", json::object()}};
    const auto file = dir_ / ("shard-" + std::to_string(index) + ".json");
    std::ofstream(file) << journal.dump();
    return file;
  }

  fs::path dir_;
};

TEST_F(MergeTest, ShardsMergeInSuiteOrderWithOneSummaryAndVerdict) {
  const auto a = shard(1, 2, {scenario("c", 2, "passed"), scenario("a", 0, "passed")});
  const auto b = shard(2, 2, {scenario("b", 1, "passed")});
  const auto merged = merge_journals({b, a});
  ASSERT_EQ(merged["scenarios"].size(), 3U);
  EXPECT_EQ(merged["scenarios"][0]["scenario"]["name"], "a");
  EXPECT_EQ(merged["scenarios"][1]["scenario"]["name"], "b");
  EXPECT_EQ(merged["scenarios"][2]["scenario"]["name"], "c");
  EXPECT_EQ(merged["summary"], (json{{"passed", 3}, {"failed", 0}, {"errors", 0}}));
  EXPECT_EQ(journal_exit_code(merged), 0);
}

TEST_F(MergeTest, AFailingScenarioInOneShardFailsTheMergedRun) {
  const auto a = shard(1, 2, {scenario("a", 0, "passed")});
  const auto b = shard(2, 2, {scenario("b", 1, "failed")});
  const auto merged = merge_journals({a, b});
  EXPECT_EQ(journal_exit_code(merged), 1);
  EXPECT_EQ(merged["summary"]["failed"], 1);
  const auto xml = junit_xml_from_journal(merged);
  EXPECT_THAT(xml, HasSubstr("tests=\"3\" failures=\"1\" errors=\"0\""));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"measured 1.40s vs threshold &lt;= 1.00s\">"));
}

TEST_F(MergeTest, AScenarioThatCouldNotRunGivesItsExitCode) {
  auto broken = scenario("b", 1, "error");
  broken["exit_code"] = 3;
  broken["error"] = "haproxy not found";
  const auto merged = merge_journals({shard(1, 1, {scenario("a", 0, "failed"), broken})});
  EXPECT_EQ(journal_exit_code(merged), 3);
  EXPECT_THAT(junit_xml_from_journal(merged), HasSubstr("<error message=\"haproxy not found\"/>"));
}

TEST_F(MergeTest, AMissingShardIsBadInputNotAGreenRun) {
  const auto a = shard(1, 3, {scenario("a", 0, "passed")});
  const auto c = shard(3, 3, {scenario("c", 2, "passed")});
  try {
    (void)merge_journals({a, c});
    FAIL() << "merged without shard 2";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("shard(s) 2/3 missing"));
  }
}

TEST_F(MergeTest, TheSameShardTwiceOrTheSameScenarioTwiceIsBadInput) {
  const auto a = shard(1, 2, {scenario("a", 0, "passed")});
  EXPECT_THROW((void)merge_journals({a, a}), InputError);
  const auto b = shard(2, 2, {scenario("a", 0, "passed")});
  EXPECT_THROW((void)merge_journals({a, b}), InputError);
}

TEST_F(MergeTest, UnreadableOrInvalidJournalsNameTheFile) {
  const auto garbage = dir_ / "garbage.json";
  std::ofstream(garbage) << "{\n  \"tool\": \"lbchaos\",\n  \"scenarios\": [\n";
  try {
    (void)merge_journals({garbage});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("garbage.json: not a JSON journal"));
    EXPECT_THAT(e.what(), HasSubstr("line 4"));
  }
  const auto other = dir_ / "other.json";
  std::ofstream(other) << R"({"tool": "k6", "metrics": {}})";
  EXPECT_THROW((void)merge_journals({other}), InputError);
  EXPECT_THROW((void)merge_journals({dir_ / "absent.json"}), InputError);
}

}  // namespace
}  // namespace lbchaos::report
