#include "harness/scenario/random_schedule.h"

#include <random>
#include <string>

#include <fmt/format.h>

#include "harness/common/errors.h"

namespace lbchaos::scenario {
namespace {

// splitmix64's output function: gives each (seed, fault index) an unrelated stream, even for
// neighbouring seeds.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in [0, n), n >= 1. std::mt19937_64's output is fixed by the standard but
// std::uniform_int_distribution's is not, so the reduction is done here: reject the draws
// below 2^64 mod n, which leaves a whole number of copies of [0, n) to take the remainder of.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t reject_below = (0 - n) % n;
  std::uint64_t draw = rng();
  while (draw < reject_below) draw = rng();
  return draw % n;
}

const std::string& pick(std::mt19937_64& rng, const std::vector<std::string>& items) {
  return items[uniform_below(rng, items.size())];
}

// Uniform in [low, high], in whole milliseconds when both bounds are, so schedules read well.
Duration uniform_duration(std::mt19937_64& rng, Duration low, Duration high) {
  const Duration step = low % 1ms == 0ns && high % 1ms == 0ns ? Duration(1ms) : Duration(1ns);
  const auto steps = static_cast<std::uint64_t>((high - low) / step);
  return low + step * static_cast<Duration::rep>(uniform_below(rng, steps + 1));
}

void draw_faults(const FaultSpec& random, std::size_t index, Duration end, std::uint64_t seed,
                 std::vector<FaultSpec>& out) {
  const FaultParams& params = random.params;
  const Duration gap = params.min_gap.value_or(kRandomDefaultMinGap);
  const Duration low = params.min_duration.value_or(kRandomDefaultMinDuration);
  const Duration high = params.max_duration.value_or(kRandomDefaultMaxDuration);
  if (params.actions.empty() || params.targets.empty() || low <= 0ns || low > high ||
      gap < 0ns) {
    throw InputError(random.where, "random needs actions, targets and 0 < min_duration <= "
                                   "max_duration");
  }
  std::mt19937_64 rng(mix(mix(seed) + index));
  for (Duration at = random.at;;) {
    FaultSpec fault;
    fault.action = pick(rng, params.actions);
    fault.target = pick(rng, params.targets);
    const Duration duration = uniform_duration(rng, low, high);
    if (at + duration >= end) return;
    fault.at = at;
    fault.heal_after = duration;
    fault.where = random.where;
    out.push_back(std::move(fault));
    at += duration + gap;
  }
}

}  // namespace

std::vector<FaultSpec> expand_random_faults(const Scenario& scenario, std::uint64_t seed) {
  std::vector<FaultSpec> faults;
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    const FaultSpec& fault = scenario.faults[i];
    if (fault.action == "random") {
      draw_faults(fault, i, scenario.traffic.duration, seed, faults);
    } else {
      faults.push_back(fault);
    }
  }
  return faults;
}

}  // namespace lbchaos::scenario
