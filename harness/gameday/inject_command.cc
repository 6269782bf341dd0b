#include "harness/gameday/inject_command.h"

#include <fmt/format.h>

#include <stdexcept>

#include "faults/catalogue.h"
#include "harness/common/errors.h"
#include "harness/scenario/fault_parser.h"

namespace lbchaos::gameday {

namespace {

constexpr std::string_view kSource = "lbchaos inject";

}  // namespace

nlohmann::json InjectArgs::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, value] : params) list.push_back({key, value});
  return {{"action", action}, {"target", target}, {"params", list}, {"for", for_duration}};
}

InjectArgs InjectArgs::from_json(const nlohmann::json& json) {
  InjectArgs args;
  if (!json.contains("action") || !json["action"].is_string() || !json.contains("target") ||
      !json["target"].is_string()) {
    throw std::invalid_argument("inject needs \"action\" and \"target\" strings");
  }
  args.action = json["action"].get<std::string>();
  args.target = json["target"].get<std::string>();
  args.for_duration = json.value("for", "");
  if (const auto params = json.find("params"); params != json.end()) {
    if (!params->is_array()) throw std::invalid_argument("inject \"params\" is not an array");
    for (const auto& pair : *params) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        throw std::invalid_argument("inject \"params\" holds [key, value] string pairs");
      }
      args.params.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  return args;
}

Params parse_param_words(const std::vector<std::string>& words) {
  Params params;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (!word.starts_with("--") || word.size() == 2) {
      throw InputError(fmt::format("{}: unexpected '{}' (parameters are --KEY VALUE or --param "
                                   "KEY=VALUE, like --ratio 50%)",
                                   kSource, word));
    }
    std::string key = word.substr(2);
    std::string value;
    if (const auto equals = key.find('='); equals != std::string::npos) {
      value = key.substr(equals + 1);
      key.resize(equals);
    } else {
      if (i + 1 >= words.size()) {
        throw InputError(fmt::format("{}: --{} needs a value", kSource, key));
      }
      value = words[++i];
    }
    if (key == "param") {
      const auto equals = value.find('=');
      if (equals == std::string::npos || equals == 0) {
        throw InputError(fmt::format("{}: --param takes KEY=VALUE, like --param ratio=50%, "
                                     "found '{}'",
                                     kSource, value));
      }
      key = value.substr(0, equals);
      value = value.substr(equals + 1);
    }
    params.emplace_back(std::move(key), std::move(value));
  }
  return params;
}

void insert_value(toml::table& table, const std::string& key, const std::string& text) {
  // toml++ parses "v = <text>" only when <text> is one whole TOML value.
  try {
    toml::table parsed = toml::parse("v = " + text);
    const toml::node* node = parsed.get("v");
    if (node != nullptr) {
      if (const auto* whole = node->as_integer()) {
        table.insert_or_assign(key, whole->get());
        return;
      }
      if (const auto* number = node->as_floating_point()) {
        table.insert_or_assign(key, number->get());
        return;
      }
      if (const auto* flag = node->as_boolean()) {
        table.insert_or_assign(key, flag->get());
        return;
      }
    }
  } catch (const toml::parse_error&) {
    // not a TOML value on its own: a string
  }
  table.insert_or_assign(key, text);
}

toml::table fault_table(const InjectArgs& args) {
  toml::table table;
  table.insert_or_assign("action", args.action);
  table.insert_or_assign("target", args.target);
  if (!args.for_duration.empty()) table.insert_or_assign("heal_after", args.for_duration);
  for (const auto& [key, value] : args.params) insert_value(table, key, value);
  return table;
}

scenario::FaultSpec parse_inject(const InjectArgs& args, const topology::Topology& topology) {
  for (const auto& [key, value] : args.params) {
    if (key == "at") {
      throw InputError(SourcePosition{std::string(kSource)},
                       "'at' is not a parameter of inject: it acts now (use --for D to heal "
                       "after D)");
    }
    if (key == "heal_after") {
      throw InputError(SourcePosition{std::string(kSource)},
                       "give heal_after as --for D (heal after D), like --for 30s");
    }
    if (key == "action" || key == "target") {
      throw InputError(SourcePosition{std::string(kSource)},
                       fmt::format("{} is the {} word of inject, not a parameter",
                                   key, key == "action" ? "first" : "second"));
    }
  }
  if (const auto* action = faults::find_action(args.action);
      action != nullptr && action->draws_faults) {
    throw InputError(SourcePosition{std::string(kSource)},
                     "random draws a schedule of faults in a scenario; inject takes one action "
                     "(kill, pause, errors, ...)");
  }
  toml::table table = fault_table(args);
  table.insert_or_assign("at", "0s");  // now; a game day has no end for `at` to fall before
  constexpr Duration kNoEnd = std::chrono::hours(24 * 365);
  return scenario::parse_fault(table, topology, kNoEnd, kSource);
}

}  // namespace lbchaos::gameday
