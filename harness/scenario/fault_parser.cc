#include "harness/scenario/fault_parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "faults/catalogue.h"
#include "harness/scenario/targets.h"

namespace lbchaos::scenario {
namespace {

// "25s", "250ms", "1500ms": exact, and the way users write durations.
std::string spell(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

bool contains(const std::vector<std::string_view>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::string join(const std::vector<std::string_view>& items) {
  return items.empty() ? std::string("none") : fmt::format("{}", fmt::join(items, ", "));
}

// Every key must belong to the fault's action; a key of another action is named as such.
void check_fault_keys(const TableReader& table) {
  static const std::vector<std::string_view> kAllKeys = faults::all_fault_keys();
  const toml::node* action_node = table.find("action");
  const auto* action_name = action_node != nullptr ? action_node->as_string() : nullptr;
  const faults::ActionInfo* action =
      action_name != nullptr ? faults::find_action(action_name->get()) : nullptr;
  if (action == nullptr) {
    table.allow_only(kAllKeys);  // the action itself is reported next
    return;
  }
  const auto keys = faults::keys_of(*action);
  for (const std::string_view key : table.keys()) {
    if (contains(keys, key)) continue;
    if (!contains(kAllKeys, key)) {
      table.fail_at_key(key, fmt::format("unknown key '{}' in [fault] (fault action '{}' takes: "
                                         "{})",
                                         key, action->name, join(keys)));
    }
    std::string message = fmt::format("'{}' is not a parameter of fault action '{}' (it takes: "
                                      "{})",
                                      key, action->name, join(keys));
    if (action->draws_faults && key == "heal_after") {
      message += ": each drawn fault heals after a duration between min_duration and "
                 "max_duration";
    } else if (action->draws_faults && key == "target") {
      message += ": list the servers to draw from in targets = [...]";
    }
    table.fail_at_key(key, message);
  }
}

void check_required_params(const TableReader& table, const faults::ActionInfo& action) {
  for (const faults::ParamInfo& param : action.params) {
    if (param.required() && !table.has(param.key)) {
      table.fail_here(fmt::format("missing required key '{}' in [fault]: fault action {} needs "
                                  "it, like {}",
                                  param.key, action.name, param.example));
    }
  }
}

}  // namespace

FaultSpec read_fault(const TableReader& table, const topology::Topology& topology,
                     Duration traffic_duration) {
  check_fault_keys(table);
  FaultSpec fault;
  fault.where = table.position();
  if (!table.has("at")) {
    table.fail_here("missing required key 'at' in [fault] (when to inject it, counted from the "
                    "start of traffic, like \"5s\")");
  }
  fault.at = *table.duration("at");
  if (fault.at >= traffic_duration) {
    table.fail("at", fmt::format("fault at {} is {} the end of the run (duration {})",
                                 spell(fault.at), fault.at == traffic_duration ? "at" : "after",
                                 spell(traffic_duration)));
  }
  if (!table.has("action")) table.fail_here("missing required key 'action' in [fault]");
  const auto names = faults::action_names();
  fault.action = *table.one_of("action", names);
  const faults::ActionInfo& action = *faults::find_action(fault.action);
  check_required_params(table, action);
  const TargetNames targets(topology);
  if (!action.draws_faults) {
    fault.target = table.required_string("target");
    targets.check(table.value_position("target"), fault.target, action.targets,
                  fmt::format("action {}", action.name));
    if (const auto heal = table.positive_duration("heal_after")) fault.heal_after = *heal;
  }
  const faults::FaultCheck check{
      table, fault, traffic_duration,
      [&targets](const SourcePosition& where, const std::string& target, unsigned kinds,
                 const std::string& subject) { targets.check(where, target, kinds, subject); },
      [&targets](unsigned kinds) { return targets.alternatives(kinds); }};
  faults::read_params(check, action);
  return fault;
}

FaultSpec parse_fault(const toml::table& table, const topology::Topology& topology,
                      Duration traffic_duration, std::string_view source_name) {
  return read_fault(TableReader(table, std::string(source_name), "[fault]"), topology,
                    traffic_duration);
}

}  // namespace lbchaos::scenario
