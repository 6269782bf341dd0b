// `run --shard I/N` on three "runners" and `merge` of their journals, against one unsharded run
// of the same suite and seed: the same scenarios, probes and verdicts, and the same exit code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kSuite = std::string(LBCHAOS_TEST_DATA) + "/integration/shard_suite";

// What must not depend on how the suite was split: per scenario (in order) its outcome and the
// set of its probes' verdicts. Timings and measured values differ between runs.
using Verdicts = std::vector<std::tuple<std::string, std::string,
                                        std::set<std::tuple<std::string, std::string, std::string,
                                                            std::string>>>>;

Verdicts verdicts(const nlohmann::json& journal) {
  Verdicts out;
  for (const auto& s : journal["scenarios"]) {
    std::set<std::tuple<std::string, std::string, std::string, std::string>> probes;
    for (const auto& p : s["probes"]) {
      probes.emplace(p["probe"], p["target"], p["window"], p["verdict"]);
    }
    out.emplace_back(s["scenario"]["name"], s["outcome"], std::move(probes));
  }
  return out;
}

TEST(ShardAndMerge, ThreeShardsMergeToTheVerdictsOfOneUnshardedRun) {
  TempDir dir;
  std::filesystem::create_directories(dir / "whole");
  LbchaosProcess whole({"run", kSuite, "--seed", "3", "--json", (dir / "whole.json").string()},
                       dir / "whole");

  // The three shards run at once, as on three CI runners.
  std::vector<std::unique_ptr<LbchaosProcess>> shards;
  std::vector<std::string> journals;
  for (int i = 1; i <= 3; ++i) {
    const auto out = dir / ("shard-" + std::to_string(i));
    std::filesystem::create_directories(out);
    journals.push_back((dir / ("shard-" + std::to_string(i) + ".json")).string());
    shards.push_back(std::make_unique<LbchaosProcess>(
        std::vector<std::string>{"run", kSuite + "/", "--seed", "3", "--shard",
                                 std::to_string(i) + "/3", "--json", journals.back()},
        out));
  }
  EXPECT_EQ(whole.exit_code(120s), 1) << whole.output();  // impossible-latency fails
  std::vector<int> codes;
  std::size_t ran = 0;
  for (int i = 0; i < 3; ++i) {
    codes.push_back(shards[i]->exit_code(120s));
    const auto journal = nlohmann::json::parse(read_file(journals[i]));
    EXPECT_EQ(journal["shard"], (nlohmann::json{{"index", i + 1}, {"total", 3}}));
    EXPECT_FALSE(journal["scenarios"].empty()) << "seed 3 puts a scenario in every shard";
    ran += journal["scenarios"].size();
  }
  EXPECT_EQ(ran, 4U) << "every scenario in exactly one shard";
  // Exactly one shard holds the failing scenario; it alone exits 1.
  EXPECT_EQ(std::count(codes.begin(), codes.end(), 1), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), 0), 2);

  std::vector<std::string> merge_args{"merge"};
  merge_args.insert(merge_args.end(), journals.rbegin(), journals.rend());  // any order
  for (const char* out : {"--json", "--junit", "--html"}) {
    merge_args.push_back(out);
    merge_args.push_back((dir / (std::string("merged.") + (out + 2))).string());
  }
  std::filesystem::create_directories(dir / "merge");
  LbchaosProcess merge(merge_args, dir / "merge");
  EXPECT_EQ(merge.exit_code(30s), 1) << merge.output();
  EXPECT_THAT(merge.out(), HasSubstr("3 of 4 scenario(s) passed"));

  const auto one_run = nlohmann::json::parse(read_file(dir / "whole.json"));
  const auto merged = nlohmann::json::parse(read_file(dir / "merged.json"));
  EXPECT_EQ(verdicts(merged), verdicts(one_run));
  EXPECT_EQ(merged["summary"], one_run["summary"]);
  EXPECT_THAT(read_file(dir / "merged.junit"), HasSubstr("failures=\"1\""));
  EXPECT_THAT(read_file(dir / "merged.html"), HasSubstr("impossible latency"));
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());

  // A shard that never reported is not a pass: exit 2, naming it.
  std::filesystem::create_directories(dir / "partial");
  LbchaosProcess partial({"merge", journals[0], journals[2]}, dir / "partial");
  EXPECT_EQ(partial.exit_code(30s), 2);
  EXPECT_THAT(partial.err(), HasSubstr("shard(s) 2/3 missing"));
}

TEST(ShardAndMerge, AnUnreadableJournalIsExitTwoWithItsName) {
  TempDir dir;
  std::ofstream(dir / "broken.json") << "{\"tool\": \"lbchaos\", \"scenarios\": [";
  LbchaosProcess merge({"merge", (dir / "broken.json").string()}, dir.path());
  EXPECT_EQ(merge.exit_code(30s), 2);
  EXPECT_THAT(merge.err(), HasSubstr("broken.json: not a JSON journal"));
  LbchaosProcess shard({"run", kSuite, "--shard", "4/3"}, dir.path());
  EXPECT_EQ(shard.exit_code(30s), 2);
  EXPECT_THAT(shard.err(), HasSubstr("--shard 4/3"));
}

}  // namespace
}  // namespace lbchaos
