#include "faults/catalogue.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "faults/backend_behaviour.h"
#include "faults/load_balancer.h"
#include "faults/network.h"
#include "faults/process.h"
#include "faults/random.h"
#include "faults/runtime_api.h"
#include "harness/common/errors.h"

namespace lbchaos::faults {
namespace {

using scenario::ParamValue;

// The keys every [[fault]] has; `random` has no target and no heal_after: it draws both.
constexpr std::array<std::string_view, 4> kCommonKeys{"at", "action", "target", "heal_after"};
constexpr std::array<std::string_view, 2> kScheduleKeys{"at", "action"};

const std::array<const Family*, 6> kFamilies{&kProcessFamily,    &kLoadBalancerFamily,
                                             &kRuntimeApiFamily, &kNetworkFamily,
                                             &kBackendBehaviourFamily, &kRandomFamily};

bool contains(const std::vector<std::string_view>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::string join(const std::vector<std::string_view>& items) {
  return items.empty() ? std::string("none") : fmt::format("{}", fmt::join(items, ", "));
}

// A whole number with nothing around it ("050" is 50); nullopt for anything else.
std::optional<std::int64_t> parse_whole(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// "100KB/s", "1.5MB/s", "800B/s" -> bytes per second (SI: 1KB = 1000 bytes); nullopt otherwise.
std::optional<double> parse_byte_rate(std::string_view text) {
  constexpr std::string_view kPerSecond = "/s";
  if (!text.ends_with(kPerSecond)) return std::nullopt;
  text.remove_suffix(kPerSecond.size());
  std::size_t unit_at = 0;
  while (unit_at < text.size() &&
         ((text[unit_at] >= '0' && text[unit_at] <= '9') || text[unit_at] == '.')) {
    ++unit_at;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + unit_at, value);
  if (unit_at == 0 || ec != std::errc{} || end != text.data() + unit_at || !std::isfinite(value)) {
    return std::nullopt;
  }
  const std::string_view unit = text.substr(unit_at);
  if (unit == "B") return value;
  if (unit == "kB" || unit == "KB") return value * 1e3;
  if (unit == "MB") return value * 1e6;
  if (unit == "GB") return value * 1e9;
  return std::nullopt;
}

// "50%" of the initial weight (whole percents, as haproxy parses them) or an absolute weight
// 0..256, as an integer or a string; kept in the form haproxy's `set weight` takes.
std::string read_weight(const TableReader& table, std::string_view key) {
  const toml::node& node = *table.find(key);
  if (const auto* whole = node.as_integer()) {
    if (whole->get() < 0 || whole->get() > kMaxAbsoluteWeight) {
      table.fail(key, fmt::format("{} must be between 0 and {}, found {}", key,
                                  kMaxAbsoluteWeight, whole->get()));
    }
    return std::to_string(whole->get());
  }
  if (const auto* text = node.as_string()) {
    std::string_view digits = text->get();
    const bool percent = digits.ends_with('%');
    if (percent) digits.remove_suffix(1);
    if (const auto value = parse_whole(digits)) {
      if (percent && *value > kMaxWeightPercent) {
        table.fail(key, fmt::format("{} must be between 0% and {}% of the initial weight (haproxy "
                                    "caps the result at {}), found {}",
                                    key, kMaxWeightPercent, kMaxAbsoluteWeight,
                                    describe_node(node)));
      }
      if (!percent && *value > kMaxAbsoluteWeight) {
        table.fail(key, fmt::format("{} must be between 0 and {}, found {}", key,
                                    kMaxAbsoluteWeight, describe_node(node)));
      }
      return percent ? fmt::format("{}%", *value) : std::to_string(*value);
    }
  }
  table.fail(key, fmt::format("{}: expected a percentage of the initial weight like \"50%\" or an "
                              "absolute weight from 0 to {} like 10, found {}",
                              key, kMaxAbsoluteWeight, describe_node(node)));
}

// Bytes per second: an integer, or a string with an SI unit ("100KB/s", "1MB/s").
double read_byte_rate(const TableReader& table, std::string_view key) {
  const toml::node& node = *table.find(key);
  std::optional<double> rate;
  if (const auto* whole = node.as_integer()) rate = static_cast<double>(whole->get());
  if (const auto* text = node.as_string()) rate = parse_byte_rate(text->get());
  if (!rate) {
    table.fail(key, fmt::format("{}: expected bytes per second like 102400, \"100KB/s\" or "
                                "\"1MB/s\" (units B, KB, MB, GB per second), found {}",
                                key, describe_node(node)));
  }
  if (*rate < 1) {
    table.fail(key, fmt::format("{} must be at least 1 byte per second, found {}", key,
                                describe_node(node)));
  }
  return *rate;
}

SourcePosition element_position(const TableReader& table, std::string_view key,
                                std::size_t index) {
  const toml::node& element = *table.find(key)->as_array()->get(index);
  return source_position(table.file(), element.source());
}

void check_unique(const TableReader& table, std::string_view key,
                  const std::vector<std::string>& items, std::size_t index) {
  const auto first = std::find(items.begin(), items.end(), items[index]);
  if (static_cast<std::size_t>(first - items.begin()) != index) {
    throw InputError(element_position(table, key, index),
                     fmt::format("{}: '{}' is listed twice", key, items[index]));
  }
}

std::vector<std::string> read_names(const FaultCheck& check, const ParamInfo& param) {
  const TableReader& table = check.table;
  const std::string_view key = param.key;
  std::vector<std::string> names = *table.string_array(key);
  if (param.type == ParamType::kActions) {
    const auto drawable = random_actions();
    if (names.empty()) {
      table.fail(key, fmt::format("{} must list at least one action to draw from ({})", key,
                                  join(drawable)));
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!contains(drawable, names[i])) {
        throw InputError(element_position(table, key, i),
                         fmt::format("{}: random cannot draw '{}' (it draws: {})", key, names[i],
                                     join(drawable)));
      }
      check_unique(table, key, names, i);
    }
    return names;
  }
  if (names.empty()) {
    table.fail(key, fmt::format("{} must list at least one server to draw from ({})", key,
                                check.alternatives(scenario::kServer)));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    check.check_target(element_position(table, key, i), names[i], scenario::kServer, "random");
    check_unique(table, key, names, i);
  }
  return names;
}

ParamValue read_value(const FaultCheck& check, const ParamInfo& param) {
  const TableReader& table = check.table;
  const std::string_view key = param.key;
  switch (param.type) {
    case ParamType::kDuration: return *table.duration(key);
    case ParamType::kPositiveDuration: return *table.positive_duration(key);
    case ParamType::kRatio: return *table.percentage(key);
    case ParamType::kInteger: {
      const auto max = param.max > 0 ? static_cast<int>(param.max)
                                     : std::numeric_limits<int>::max();
      return static_cast<std::int64_t>(*table.integer_in(key, static_cast<int>(param.min), max));
    }
    case ParamType::kBool: return *table.boolean(key);
    case ParamType::kChoice: return *table.one_of(key, param.choices);
    case ParamType::kByteRate: return read_byte_rate(table, key);
    case ParamType::kWeight: return read_weight(table, key);
    case ParamType::kActions:
    case ParamType::kServers: return read_names(check, param);
  }
  return false;
}

// A default as the file would write it, read by the same code (and bounds) as the file.
ParamValue default_value(const ParamInfo& param) {
  const TomlFile toml = parse_toml(fmt::format("{} = {}", param.key, param.default_toml),
                                   "the fault catalogue");
  const TableReader table(toml.root, toml.file, "[fault]");
  scenario::FaultSpec unused;
  const FaultCheck check{table, unused, Duration::max(), {}, {}};
  return read_value(check, param);
}

}  // namespace

std::span<const Family* const> families() { return kFamilies; }

const ActionInfo* find_action(std::string_view name) {
  for (const Family* family : kFamilies) {
    for (const ActionInfo& action : family->actions) {
      if (action.name == name) return &action;
    }
  }
  return nullptr;
}

const Family& family_of(const ActionInfo& action) {
  for (const Family* family : kFamilies) {
    for (const ActionInfo& candidate : family->actions) {
      if (&candidate == &action) return *family;
    }
  }
  throw std::logic_error(fmt::format("fault action {} is in no family", action.name));
}

std::vector<std::string_view> action_names() {
  std::vector<std::string_view> names;
  for (const Family* family : kFamilies) {
    for (const ActionInfo& action : family->actions) names.push_back(action.name);
  }
  return names;
}

std::vector<std::string_view> random_actions() {
  std::vector<std::string_view> names;
  for (const Family* family : kFamilies) {
    for (const ActionInfo& action : family->actions) {
      if (action.random_may_draw) names.push_back(action.name);
    }
  }
  return names;
}

std::vector<std::string_view> keys_of(const ActionInfo& action) {
  std::vector<std::string_view> keys;
  if (action.draws_faults) {
    keys.assign(kScheduleKeys.begin(), kScheduleKeys.end());
  } else {
    keys.assign(kCommonKeys.begin(), kCommonKeys.end());
  }
  for (const ParamInfo& param : action.params) keys.push_back(param.key);
  return keys;
}

std::vector<std::string_view> all_fault_keys() {
  std::vector<std::string_view> keys;
  for (const Family* family : kFamilies) {
    for (const ActionInfo& action : family->actions) {
      for (const std::string_view key : keys_of(action)) {
        if (!contains(keys, key)) keys.push_back(key);
      }
    }
  }
  return keys;
}

std::map<std::string, ParamValue, std::less<>> default_params(const ActionInfo& action) {
  std::map<std::string, ParamValue, std::less<>> params;
  for (const ParamInfo& param : action.params) {
    if (!param.default_toml.empty()) params[std::string(param.key)] = default_value(param);
  }
  return params;
}

void read_params(const FaultCheck& check, const ActionInfo& action) {
  check.spec.params = default_params(action);
  for (const ParamInfo& param : action.params) {
    if (check.table.has(param.key)) {
      check.spec.params[std::string(param.key)] = read_value(check, param);
    }
  }
  if (const auto family_check = family_of(action).check) family_check(check);
}

unsigned effects_of(const FaultSpec& spec) {
  const ActionInfo* action = find_action(spec.action);
  if (action == nullptr) return scenario::kNoEffect;
  unsigned effects = scenario::kNoEffect;
  for (const EffectRule& rule : action->effects) {
    if (rule.param.empty() || spec.param<std::string>(rule.param) == std::string(rule.value)) {
      effects |= rule.effects;
    }
  }
  return effects;
}

unsigned possible_effects(const ActionInfo& action) {
  unsigned effects = scenario::kNoEffect;
  for (const EffectRule& rule : action.effects) effects |= rule.effects;
  return effects;
}

std::string describe_faults_with(unsigned effect) {
  std::vector<std::string> ways;
  for (const Family* family : kFamilies) {
    for (const ActionInfo& action : family->actions) {
      if (action.draws_faults) continue;
      for (const EffectRule& rule : action.effects) {
        if ((rule.effects & effect) == 0) continue;
        std::string way = fmt::format("action = \"{}\"", action.name);
        if (!rule.param.empty()) way += fmt::format(" with {} = \"{}\"", rule.param, rule.value);
        ways.push_back(std::move(way));
        break;
      }
    }
  }
  return fmt::format("a [[fault]] with {}", fmt::join(ways, " or "));
}

std::string describe(const FaultSpec& spec) {
  const ActionInfo* action = find_action(spec.action);
  if (action != nullptr && action->draws_faults) {
    const auto targets = spec.param<std::vector<std::string>>(kRandomTargets);
    return fmt::format("{} over {}", spec.action,
                       targets && !targets->empty() ? fmt::format("{}", fmt::join(*targets, ", "))
                                                    : std::string("none"));
  }
  std::string text = fmt::format("{} {}", spec.action, spec.target);
  if (action != nullptr) {
    // A parameter that decides an effect says how the fault was applied: "by restart".
    for (const EffectRule& rule : action->effects) {
      if (rule.param.empty()) continue;
      if (const auto value = spec.param<std::string>(rule.param)) {
        text += " by " + *value;
        break;
      }
    }
  }
  return text;
}

scenario::FaultEvent event_for(const FaultSpec& spec) {
  scenario::FaultEvent event;
  event.action = spec.action;
  event.target = spec.target;
  event.effects = effects_of(spec);
  if (const ActionInfo* action = find_action(spec.action)) event.verb = action->verb;
  return event;
}

nlohmann::json journal_params(const FaultSpec& spec) {
  nlohmann::json params = nlohmann::json::object();
  const ActionInfo* action = find_action(spec.action);
  if (action == nullptr) return params;
  for (const ParamInfo& param : action->params) {
    const auto found = spec.params.find(param.key);
    if (found == spec.params.end()) continue;
    const std::string key(param.recorded_as());
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, Duration>) {
            params[key] = std::chrono::duration<double>(value).count();
          } else {
            params[key] = value;
          }
        },
        found->second);
  }
  return params;
}

std::unique_ptr<Fault> make_fault(const FaultSpec& spec, deploy::Deployment& deployment) {
  const ActionInfo* action = find_action(spec.action);
  if (action == nullptr) {
    throw InputError(spec.where, fmt::format("fault action '{}' is not in the fault catalogue",
                                             spec.action));
  }
  const Family& family = family_of(*action);
  if (family.make == nullptr) {
    throw InputError(spec.where, fmt::format("fault action '{}' is a schedule of faults: expand "
                                             "it before the run",
                                             spec.action));
  }
  return family.make(spec, deployment);
}

}  // namespace lbchaos::faults
