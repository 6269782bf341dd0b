#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "faults/catalogue.h"
#include "harness/model/model.h"

// The random family (DESIGN.md "Fault catalogue"; Jepsen's nemesis): a seeded schedule of
// concrete faults drawn before the run from the actions the catalogue lets it draw, so the same
// seed replays the same schedule. Its parameters and their defaults are declared in random.cc.
namespace lbchaos::faults {

extern const Family kRandomFamily;

// The parameter that lists the servers a random fault draws from.
inline constexpr std::string_view kRandomTargets = "targets";

// The scenario's faults, in order, with every `random` fault replaced by the faults it draws:
// from its `at`, one after another, an action and a target picked uniformly from its lists and a
// duration uniform in [min_duration, max_duration] (the drawn fault's heal_after); the next is
// injected min_gap after the previous heal. Drawing stops at the first fault that would not heal
// before the end of traffic. Drawn faults keep the random fault's `where` and have their
// action's default parameters. The draws depend only on `seed` and the fault's index,
// identically on every platform. Throws InputError (at the fault) for a random fault the loader
// would have refused.
[[nodiscard]] std::vector<FaultSpec> expand_random_faults(const scenario::Scenario& scenario,
                                                          std::uint64_t seed);

}  // namespace lbchaos::faults
