#include "faults/random.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "harness/common/errors.h"

namespace lbchaos::faults {
namespace {

using scenario::FaultSpec;
using scenario::Scenario;

using namespace std::chrono_literals;

FaultSpec random_fault(Duration at) {
  FaultSpec random;
  random.at = at;
  random.action = "random";
  random.params["actions"] = std::vector<std::string>{"kill", "pause", "drain", "blackhole"};
  random.params["targets"] = std::vector<std::string>{"app/web1", "app/web2", "app/web3"};
  random.params["min_gap"] = Duration(500ms);
  random.params["min_duration"] = Duration(1s);
  random.params["max_duration"] = Duration(3s);
  random.where = SourcePosition{"s.toml", 12, 1};
  return random;
}

Scenario scenario_with(std::vector<FaultSpec> faults, Duration duration = 120s) {
  Scenario scenario;
  scenario.traffic.duration = duration;
  scenario.faults = std::move(faults);
  return scenario;
}

struct Drawn {
  Duration at;
  std::string action;
  std::string target;
  Duration heal_after;
  bool operator==(const Drawn&) const = default;
};

std::vector<Drawn> summary(const std::vector<FaultSpec>& faults) {
  std::vector<Drawn> out;
  for (const auto& f : faults) out.push_back({f.at, f.action, f.target, f.heal_after.value()});
  return out;
}

TEST(RandomSchedule, SameSeedGivesTheSameSchedule) {
  const Scenario scenario = scenario_with({random_fault(2s)});
  const auto first = expand_random_faults(scenario, 42);
  const auto second = expand_random_faults(scenario, 42);
  ASSERT_GT(first.size(), 10u);
  EXPECT_EQ(summary(first), summary(second));
}

TEST(RandomSchedule, DifferentSeedsGiveDifferentSchedules) {
  const Scenario scenario = scenario_with({random_fault(2s)});
  const auto one = summary(expand_random_faults(scenario, 1));
  const auto two = summary(expand_random_faults(scenario, 2));
  EXPECT_NE(one, two);
}

// Pins the draws of one seed: the schedule must not change with the standard library, the
// compiler or a refactoring, or a recorded seed no longer replays its run.
TEST(RandomSchedule, ScheduleOfASeedIsStable) {
  const auto drawn = summary(expand_random_faults(scenario_with({random_fault(2s)}, 12s), 7));
  const std::vector<Drawn> expected{
      {2000ms, "drain", "app/web2", 1373ms},
      {3873ms, "kill", "app/web1", 1484ms},
      {5857ms, "pause", "app/web3", 1363ms},
      {7720ms, "kill", "app/web3", 1205ms},
  };
  EXPECT_EQ(drawn, expected);
}

TEST(RandomSchedule, EveryDrawnFaultHealsBeforeTheEndOfTraffic) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const Scenario scenario = scenario_with({random_fault(3s)}, 20s);
    for (const auto& fault : expand_random_faults(scenario, seed)) {
      EXPECT_GE(fault.at, 3s);
      EXPECT_LT(fault.at + *fault.heal_after, 20s) << "seed " << seed;
      EXPECT_GE(*fault.heal_after, 1s);
      EXPECT_LE(*fault.heal_after, 3s);
    }
  }
}

TEST(RandomSchedule, NextFaultComesMinGapAfterTheHeal) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto faults = expand_random_faults(scenario_with({random_fault(0s)}), seed);
    ASSERT_FALSE(faults.empty());
    EXPECT_EQ(faults.front().at, 0s);
    for (std::size_t i = 1; i < faults.size(); ++i) {
      // Sequential: never two drawn faults at once, on any target.
      EXPECT_EQ(faults[i].at, faults[i - 1].at + *faults[i - 1].heal_after + 500ms);
    }
    // Drawing went on until the next fault could not fit.
    const auto& last = faults.back();
    EXPECT_GT(last.at + *last.heal_after + 500ms + 1s, 120s - 3s);
  }
}

TEST(RandomSchedule, DrawsEveryActionAndTargetAndKeepsThePosition) {
  const auto faults = expand_random_faults(scenario_with({random_fault(0s)}, 10min), 3);
  std::set<std::string> actions;
  std::set<std::string> targets;
  for (const auto& fault : faults) {
    actions.insert(fault.action);
    targets.insert(fault.target);
    EXPECT_EQ(fault.where.line, 12);
    EXPECT_EQ(fault.where.file, "s.toml");
    // Drawn faults have their action's default parameters (a blackhole's direction, ...).
    EXPECT_EQ(fault.params, default_params(*find_action(fault.action)));
    // Whole milliseconds, since both bounds are.
    EXPECT_EQ(*fault.heal_after % 1ms, 0ns);
  }
  EXPECT_EQ(actions, (std::set<std::string>{"kill", "pause", "drain", "blackhole"}));
  EXPECT_EQ(targets, (std::set<std::string>{"app/web1", "app/web2", "app/web3"}));
}

TEST(RandomSchedule, FixedDurationWhenMinEqualsMax) {
  FaultSpec random = random_fault(0s);
  random.params["min_duration"] = Duration(2s);
  random.params["max_duration"] = Duration(2s);
  for (const auto& fault : expand_random_faults(scenario_with({random}, 30s), 9)) {
    EXPECT_EQ(*fault.heal_after, 2s);
  }
}

TEST(RandomSchedule, OtherFaultsStayInPlace) {
  FaultSpec kill;
  kill.at = 1s;
  kill.action = "kill";
  kill.target = "app/web1";
  kill.heal_after = 2s;
  FaultSpec lb_kill;
  lb_kill.at = 40s;
  lb_kill.action = "lb_kill";
  lb_kill.target = "lb0";
  const Scenario scenario = scenario_with({kill, random_fault(5s), lb_kill}, 60s);
  const auto faults = expand_random_faults(scenario, 5);
  ASSERT_GE(faults.size(), 3u);
  EXPECT_EQ(faults.front().action, "kill");
  EXPECT_EQ(faults.front().at, 1s);
  EXPECT_EQ(faults.back().action, "lb_kill");
  EXPECT_EQ(faults.back().at, 40s);
  EXPECT_TRUE(std::none_of(faults.begin(), faults.end(),
                           [](const FaultSpec& f) { return f.action == "random"; }));
}

// Each random fault draws from its own stream (the seed mixed with its index).
TEST(RandomSchedule, ARandomFaultsStreamDependsOnItsIndex) {
  FaultSpec kill;
  kill.at = 1s;
  kill.action = "kill";
  kill.target = "app/web1";
  const auto alone = expand_random_faults(scenario_with({random_fault(2s)}), 11);
  auto second = expand_random_faults(scenario_with({kill, random_fault(2s)}), 11);
  second.erase(second.begin());
  EXPECT_NE(summary(alone), summary(second));
}

TEST(RandomSchedule, NoFaultsWithoutRandom) {
  EXPECT_TRUE(expand_random_faults(scenario_with({}), 1).empty());
}

TEST(RandomSchedule, RefusesARandomFaultTheLoaderWouldRefuse) {
  FaultSpec random = random_fault(0s);
  random.params["targets"] = std::vector<std::string>{};
  try {
    (void)expand_random_faults(scenario_with({random}), 1);
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().line, 12);
  }
}

}  // namespace
}  // namespace lbchaos::faults
