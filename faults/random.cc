#include "faults/random.h"

#include <array>
#include <random>
#include <string>

#include <fmt/format.h>

#include "harness/common/errors.h"

namespace lbchaos::faults {
namespace {

using namespace std::chrono_literals;
using scenario::Scenario;

constexpr std::array<ParamInfo, 5> kParams{{
    {.key = "actions", .type = ParamType::kActions, .meaning = "the actions to draw from",
     .example = "actions = [\"kill\", \"pause\"]"},
    {.key = kRandomTargets, .type = ParamType::kServers, .meaning = "the servers to draw from",
     .example = "targets = [\"app/web1\", \"app/web2\"]"},
    {.key = "min_gap", .type = ParamType::kDuration,
     .meaning = "from one heal to the next injection", .default_toml = "\"1s\"",
     .journal_key = "min_gap_s"},
    {.key = "min_duration", .type = ParamType::kPositiveDuration,
     .meaning = "of each drawn fault", .default_toml = "\"1s\"",
     .journal_key = "min_duration_s"},
    {.key = "max_duration", .type = ParamType::kPositiveDuration,
     .meaning = "of each drawn fault", .default_toml = "\"3s\"",
     .journal_key = "max_duration_s"},
}};

constexpr std::array<ActionInfo, 1> kActions{{
    {.name = "random", .params = kParams, .draws_faults = true,
     .summary = "a seeded schedule of the faults above, drawn before the run"},
}};

// "25s", "250ms": exact, and the way users write durations.
std::string spell(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

// Across parameters: the shortest fault fits its bounds and the run.
void check_timing(const FaultCheck& check) {
  const FaultSpec& spec = check.spec;
  const TableReader& table = check.table;
  const Duration low = *spec.param<Duration>("min_duration");
  const Duration high = *spec.param<Duration>("max_duration");
  const bool low_given = table.has("min_duration");
  const bool high_given = table.has("max_duration");
  if (low > high) {
    table.fail(low_given ? "min_duration" : "max_duration",
               fmt::format("min_duration {}{} is longer than max_duration {}{}", spell(low),
                           low_given ? "" : " (the default)", spell(high),
                           high_given ? "" : " (the default)"));
  }
  if (spec.at + low >= check.traffic_duration) {
    table.fail("at", fmt::format("random from {} cannot fit one fault of min_duration {} that "
                                 "heals before the end of the run (duration {})",
                                 spell(spec.at), spell(low), spell(check.traffic_duration)));
  }
}

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
  const auto actions = random.param<std::vector<std::string>>("actions");
  const auto targets = random.param<std::vector<std::string>>(kRandomTargets);
  const auto gap = random.param<Duration>("min_gap").value_or(-1ns);
  const auto low = random.param<Duration>("min_duration").value_or(0ns);
  const auto high = random.param<Duration>("max_duration").value_or(0ns);
  if (!actions || actions->empty() || !targets || targets->empty() || low <= 0ns ||
      low > high || gap < 0ns) {
    throw InputError(random.where, "random needs actions, targets and 0 < min_duration <= "
                                   "max_duration");
  }
  std::mt19937_64 rng(mix(mix(seed) + index));
  for (Duration at = random.at;;) {
    FaultSpec fault;
    fault.action = pick(rng, *actions);
    fault.target = pick(rng, *targets);
    const ActionInfo* drawn = find_action(fault.action);
    if (drawn == nullptr || !drawn->random_may_draw) {
      throw InputError(random.where, fmt::format("random cannot draw '{}'", fault.action));
    }
    fault.params = default_params(*drawn);
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

const Family kRandomFamily{.name = "random", .actions = kActions, .check = &check_timing};

std::vector<FaultSpec> expand_random_faults(const Scenario& scenario, std::uint64_t seed) {
  std::vector<FaultSpec> faults;
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    const FaultSpec& fault = scenario.faults[i];
    const ActionInfo* action = find_action(fault.action);
    if (action != nullptr && action->draws_faults) {
      draw_faults(fault, i, scenario.traffic.duration, seed, faults);
    } else {
      faults.push_back(fault);
    }
  }
  return faults;
}

}  // namespace lbchaos::faults
