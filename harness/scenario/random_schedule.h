#pragma once

#include <cstdint>
#include <vector>

#include "harness/scenario/model.h"

// The `random` fault (DESIGN.md "Fault catalogue"; Jepsen's nemesis): a seeded schedule of
// concrete faults drawn before the run, so the same seed replays the same schedule.
namespace lbchaos::scenario {

// Timing of a `random` fault when the file leaves it out.
inline constexpr Duration kRandomDefaultMinGap = 1s;       // from one heal to the next injection
inline constexpr Duration kRandomDefaultMinDuration = 1s;  // of each drawn fault
inline constexpr Duration kRandomDefaultMaxDuration = 3s;

// The scenario's faults, in order, with every `random` fault replaced by the faults it draws:
// from its `at`, one after another, an action and a target picked uniformly from its lists and a
// duration uniform in [min_duration, max_duration] (the drawn fault's heal_after); the next is
// injected min_gap after the previous heal. Drawing stops at the first fault that would not heal
// before the end of traffic. Drawn faults keep the random fault's `where` and have default
// parameters. The draws depend only on `seed` and the fault's index, identically on every
// platform. Throws InputError (at the fault) for a random fault the loader would have refused.
[[nodiscard]] std::vector<FaultSpec> expand_random_faults(const Scenario& scenario,
                                                          std::uint64_t seed);

}  // namespace lbchaos::scenario
