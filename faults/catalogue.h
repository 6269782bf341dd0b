#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "faults/fault.h"
#include "harness/common/toml_reader.h"
#include "harness/model/model.h"
#include "harness/model/run_events.h"

// The fault catalogue (DESIGN.md "Fault catalogue"; Toxiproxy's registry is the model): every
// action is declared once, in its family's file (process.h, load_balancer.h, runtime_api.h,
// network.h, backend_behaviour.h, random.h) — name, target kind, typed parameters with units,
// defaults and bounds, whether `random` may draw it, its effects, and how it is built. The
// scenario loader, `check`, the random schedule, the runner and the journal read it from here.
namespace lbchaos::faults {

using scenario::FaultSpec;

// How a parameter is written in a [[fault]] and what it is read into (model.h ParamValue).
enum class ParamType {
  kDuration,          // "200ms", >= 0                          -> Duration
  kPositiveDuration,  // "200ms", > 0                           -> Duration
  kRatio,             // "25%" or 0.25, in [0, 1]               -> double
  kInteger,           // whole number within [min, max]         -> std::int64_t
  kBool,              // true / false                           -> bool
  kChoice,            // one of `choices`                       -> std::string
  kByteRate,          // 102400, "100KB/s", "1MB/s" (>= 1 B/s)  -> double, bytes per second
  kWeight,            // "50%" of the initial weight or 0..256  -> std::string ("50%", "10")
  kActions,           // actions `random` may draw, each once   -> std::vector<std::string>
  kServers,           // servers of the topology, each once     -> std::vector<std::string>
};

struct ParamInfo {
  std::string_view key;
  ParamType type = ParamType::kDuration;
  std::string_view meaning;  // for people: "added per direction"
  // The default, written as in a scenario file (TOML: "\"both\"", "1.0", "500"); empty: none,
  // and the parameter is then required when `example` is set, optional otherwise.
  std::string_view default_toml = {};
  std::string_view example = {};  // how to write it when required: "latency = \"200ms\""
  std::int64_t min = 0;           // kInteger bounds
  std::int64_t max = 0;
  std::span<const std::string_view> choices = {};  // kChoice
  // The key the JSON journal records it under ("latency_s": durations are in seconds).
  std::string_view journal_key = {};

  [[nodiscard]] bool required() const { return default_toml.empty() && !example.empty(); }
  [[nodiscard]] std::string_view recorded_as() const {
    return journal_key.empty() ? key : journal_key;
  }
};

// Effects an action has when its parameter `param` is `value` (always, when `param` is empty).
struct EffectRule {
  unsigned effects = scenario::kNoEffect;  // scenario::FaultEffect bits
  std::string_view param = {};
  std::string_view value = {};
};

struct ActionInfo {
  std::string_view name;
  unsigned targets = scenario::kServer;  // scenario::TargetKind bits
  std::span<const ParamInfo> params = {};
  bool random_may_draw = false;  // only actions whose parameters all have defaults
  bool draws_faults = false;     // `random`: no target or heal_after; it draws faults
  std::span<const EffectRule> effects = {};
  std::string_view verb = {};     // "killed": what probes say happened to the target
  std::string_view summary = {};  // one line for the README's fault table
};

// What the loader hands a family for the checks only it knows (random's targets, timing).
struct FaultCheck {
  const TableReader& table;
  FaultSpec& spec;
  Duration traffic_duration;
  // Throws InputError at `where` unless `target` names a target of one of `kinds`.
  std::function<void(const SourcePosition& where, const std::string& target, unsigned kinds,
                     const std::string& subject)>
      check_target;
  // "servers: app/web1, app/web2": what a target of `kinds` could be.
  std::function<std::string(unsigned kinds)> alternatives;
};

struct Family {
  std::string_view name;  // "process", "runtime API", ...
  std::span<const ActionInfo> actions;
  // Builds the fault against a prepared deployment; throws InputError (at the fault) when the
  // target cannot take it. Null for `random`, which the runner expands before the run.
  std::unique_ptr<Fault> (*make)(const FaultSpec& spec, deploy::Deployment& deployment) = nullptr;
  // Checks across parameters, after each was read on its own; may be null.
  void (*check)(const FaultCheck& check) = nullptr;
};

// Every family, in catalogue order (the order of `lbchaos check`'s messages and the README).
[[nodiscard]] std::span<const Family* const> families();
[[nodiscard]] const ActionInfo* find_action(std::string_view name);
[[nodiscard]] const Family& family_of(const ActionInfo& action);
[[nodiscard]] std::vector<std::string_view> action_names();
[[nodiscard]] std::vector<std::string_view> random_actions();

// Reads the parameters of `action` from a [[fault]] table: every key of the table must be one
// of the fault's common keys (at, action, target, heal_after) or a parameter of the action, each
// valid for its type and bounds; defaults fill the rest. Throws InputError at the value.
void read_params(const FaultCheck& check, const ActionInfo& action);
// The keys a [[fault]] of `action` takes, common ones first.
[[nodiscard]] std::vector<std::string_view> keys_of(const ActionInfo& action);
// Every key some [[fault]] takes, in catalogue order.
[[nodiscard]] std::vector<std::string_view> all_fault_keys();
// The parameters of `action` with their defaults (a drawn fault's).
[[nodiscard]] std::map<std::string, scenario::ParamValue, std::less<>> default_params(
    const ActionInfo& action);

// The effects a planned fault has (scenario::FaultEffect bits).
[[nodiscard]] unsigned effects_of(const FaultSpec& spec);
// Every effect some fault of `action` may have, whatever its parameters.
[[nodiscard]] unsigned possible_effects(const ActionInfo& action);
// "a [[fault]] with action = \"lb_kill\" or action = \"config_corrupt\" with apply = \"restart\"":
// the faults that have `effect`.
[[nodiscard]] std::string describe_faults_with(unsigned effect);
// "kill app/web1", "config_corrupt lb0 by restart", "random over app/web1, app/web2".
[[nodiscard]] std::string describe(const FaultSpec& spec);
// The event the runner records when it injects `spec` (action, target, effects, verb).
[[nodiscard]] scenario::FaultEvent event_for(const FaultSpec& spec);
// The parameters as the JSON journal records them (journal_key: value, durations in seconds).
[[nodiscard]] nlohmann::json journal_params(const FaultSpec& spec);

// The fault a planned [[fault]] describes (never `random`: expand it first, random.h).
[[nodiscard]] std::unique_ptr<Fault> make_fault(const FaultSpec& spec,
                                                deploy::Deployment& deployment);

}  // namespace lbchaos::faults
