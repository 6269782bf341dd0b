#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/common/errors.h"
#include "harness/scenario/shard.h"

namespace lbchaos::scenario {
namespace {

std::vector<std::string> suite() {
  std::vector<std::string> paths;
  for (int i = 0; i < 40; ++i) paths.push_back("incident-" + std::to_string(i) + "/scenario.toml");
  return paths;
}

TEST(Shard, EveryScenarioFallsInExactlyOneShard) {
  for (const int total : {1, 2, 3, 5, 8}) {
    std::map<std::string, int> owner;
    for (int index = 1; index <= total; ++index) {
      for (const auto& path : suite()) {
        if (shard_of(path, 7, total) != index) continue;
        EXPECT_TRUE(owner.emplace(path, index).second) << path << " in two shards";
      }
    }
    EXPECT_EQ(owner.size(), suite().size()) << "split into " << total;
  }
}

TEST(Shard, TheSplitIsStableAndUsesEveryShard) {
  // Fixed values: the same suite splits the same way on every machine and in every release.
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  std::set<int> used;
  for (const auto& path : suite()) {
    const int shard = shard_of(path, 1, 3);
    EXPECT_EQ(shard, shard_of(path, 1, 3));
    EXPECT_GE(shard, 1);
    EXPECT_LE(shard, 3);
    used.insert(shard);
  }
  EXPECT_EQ(used.size(), 3U);
}

TEST(Shard, TheSeedIsPartOfTheKey) {
  int moved = 0;
  for (const auto& path : suite()) moved += shard_of(path, 1, 4) != shard_of(path, 2, 4);
  EXPECT_GT(moved, 0);
}

TEST(Shard, ParsesIOfNAndRejectsAnythingElse) {
  const auto s = parse_shard("2/3");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.total, 3);
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "-1/3", "1/3x", ""}) {
    EXPECT_THROW((void)parse_shard(bad), InputError) << bad;
  }
}

TEST(Shard, PathsAreRelativeToTheFolderTheyWereNamedBy) {
  EXPECT_EQ(suite_relative_path("topologies/incidents/lb-host-lost/single-lb.toml",
                                {"topologies/incidents/"}),
            "lb-host-lost/single-lb.toml");
  EXPECT_EQ(suite_relative_path("/abs/suite/a.toml", {"/other", "/abs/suite"}), "a.toml");
  EXPECT_EQ(suite_relative_path("topologies/quickstart-kill.toml", {"topologies/quickstart-kill.toml"}),
            "quickstart-kill.toml");
}

}  // namespace
}  // namespace lbchaos::scenario
