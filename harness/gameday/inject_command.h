#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "harness/model/model.h"
#include "harness/topology/model.h"

// `lbchaos inject ACTION TARGET [--KEY VALUE | --param KEY=VALUE ...] [--for D]`, read with the
// scenario loader's own [[fault]] rules (scenario::parse_fault): the same parameters, defaults,
// checks and messages as a scenario file.
namespace lbchaos::gameday {

using Params = std::vector<std::pair<std::string, std::string>>;

// What the CLI sends in the request's args.
struct InjectArgs {
  std::string action;
  std::string target;
  Params params;         // in the order given
  std::string for_duration;  // empty: until healed

  [[nodiscard]] nlohmann::json to_json() const;
  // Throws std::invalid_argument for args that are not this shape.
  [[nodiscard]] static InjectArgs from_json(const nlohmann::json& json);
};

// The extra words after ACTION TARGET: "--ratio 100%", "--ratio=100%" or "--param ratio=100%".
// Throws InputError for a word that is none of these.
[[nodiscard]] Params parse_param_words(const std::vector<std::string>& words);

// A TOML value for what was typed: an integer, float or boolean when it reads as one, a
// string otherwise ("100%", "500ms", "reload").
void insert_value(toml::table& table, const std::string& key, const std::string& text);

// The [[fault]] table `args` describe (heal_after from --for).
[[nodiscard]] toml::table fault_table(const InjectArgs& args);

// The fault, validated as a scenario's [[fault]] against `topology`; InputError (exit 2) with
// the loader's message, the source named "lbchaos inject".
[[nodiscard]] scenario::FaultSpec parse_inject(const InjectArgs& args,
                                               const topology::Topology& topology);

}  // namespace lbchaos::gameday
