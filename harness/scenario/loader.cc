#include "harness/scenario/loader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "harness/scenario/abort_condition.h"
#include "harness/scenario/random_schedule.h"
#include "harness/topology/loader.h"
#include "harness/topology/toml_reader.h"

namespace lbchaos::scenario {
namespace {

namespace fs = std::filesystem;
using topology::describe_node;
using topology::TableReader;
using topology::Topology;

constexpr std::array<std::string_view, 7> kTopLevelKeys{
    "name", "topology", "seed", "description", "traffic", "fault", "expect"};
constexpr std::array<std::string_view, 8> kTrafficKeys{
    "rate", "duration", "warmup", "clients", "max_connections", "timeout", "paths", "frontend"};
// The keys of a [[fault]]: the common ones, then the parameters its action reads (model.h
// FaultParams). `random` has no target and no heal_after: it draws both.
constexpr std::array<std::string_view, 4> kPlainFaultKeys{"at", "action", "target", "heal_after"};
constexpr std::array<std::string_view, 5> kSetWeightKeys{"at", "action", "target", "heal_after",
                                                         "weight"};
constexpr std::array<std::string_view, 6> kConfigCorruptKeys{"at",     "action", "target",
                                                             "heal_after", "mode", "apply"};
constexpr std::array<std::string_view, 8> kLatencyKeys{
    "at", "action", "target", "heal_after", "latency", "jitter", "direction", "toxicity"};
constexpr std::array<std::string_view, 7> kBandwidthKeys{
    "at", "action", "target", "heal_after", "bandwidth", "direction", "toxicity"};
constexpr std::array<std::string_view, 6> kProxyKeys{"at",         "action",    "target",
                                                     "heal_after", "direction", "toxicity"};
constexpr std::array<std::string_view, 7> kSlowCloseKeys{"at",        "action",   "target",
                                                         "heal_after", "delay",   "direction",
                                                         "toxicity"};
constexpr std::array<std::string_view, 8> kSliceKeys{
    "at", "action", "target", "heal_after", "slice_bytes", "latency", "direction", "toxicity"};
constexpr std::array<std::string_view, 6> kErrorsKeys{"at",         "action", "target",
                                                      "heal_after", "ratio",  "status"};
constexpr std::array<std::string_view, 5> kSlowKeys{"at", "action", "target", "heal_after",
                                                    "delay"};
constexpr std::array<std::string_view, 6> kOverloadKeys{"at",         "action",       "target",
                                                        "heal_after", "max_inflight", "crash"};
constexpr std::array<std::string_view, 7> kRandomKeys{
    "at", "action", "actions", "targets", "min_gap", "min_duration", "max_duration"};
constexpr std::array<std::string_view, 14> kExpectKeys{
    "probe",  "during",       "target",          "at_least", "at_most",
    "percentile", "min_samples", "rule",         "labels",   "fires_within",
    "resolves_within", "silent", "delivered_within", "abort"};
constexpr std::array<std::string_view, 4> kAlertCheckKeys{"fires_within", "resolves_within",
                                                          "silent", "delivered_within"};
constexpr std::array<std::string_view, 4> kWindows{"all", "steady", "fault", "recovery"};
constexpr std::array<double, 4> kPercentiles{50, 90, 99, 99.9};

constexpr double kMaxRate = 100000;
constexpr int kMaxClients = 65536;

// What a `target` may name; a fault or probe may accept several kinds.
enum TargetKind : unsigned {
  kServer = 1,    // "app/web1"
  kInstance = 2,  // "lb0": an haproxy instance
  kBackend = 4,   // "app": every server of that backend
};
constexpr std::array<TargetKind, 3> kTargetKinds{kServer, kInstance, kBackend};

struct ActionInfo {
  std::string_view name;
  unsigned targets;
  std::span<const std::string_view> keys;
};

// DESIGN.md "Fault catalogue". Every name loads; the runner says which ones it can inject.
constexpr std::array<ActionInfo, 23> kActions{{
    {"kill", kServer, kPlainFaultKeys},
    {"terminate", kServer, kPlainFaultKeys},
    {"pause", kServer, kPlainFaultKeys},
    {"restart", kServer, kPlainFaultKeys},
    {"lb_kill", kInstance, kPlainFaultKeys},
    {"lb_restore", kInstance, kPlainFaultKeys},
    {"config_corrupt", kInstance, kConfigCorruptKeys},
    {"set_weight", kServer, kSetWeightKeys},
    {"drain", kServer, kPlainFaultKeys},
    {"maint", kServer, kPlainFaultKeys},
    {"health_down", kServer, kPlainFaultKeys},
    {"latency", kServer, kLatencyKeys},
    {"bandwidth", kServer, kBandwidthKeys},
    {"reset", kServer, kProxyKeys},
    {"blackhole", kServer, kProxyKeys},
    {"slow_close", kServer, kSlowCloseKeys},
    {"slice", kServer, kSliceKeys},
    {"errors", kServer, kErrorsKeys},
    {"slow", kServer, kSlowKeys},
    {"hang", kServer, kPlainFaultKeys},
    {"health_fail", kServer, kPlainFaultKeys},
    {"overload", kServer, kOverloadKeys},
    {"random", kServer, kRandomKeys},  // `targets` are servers
}};

// A parameter without which an action means nothing, and how to write it.
struct RequiredParam {
  std::string_view action;
  std::string_view key;
  std::string_view example;
};
constexpr std::array<RequiredParam, 10> kRequiredParams{{
    {"set_weight", "weight", "weight = \"50%\" (of the initial weight) or weight = 10"},
    {"config_corrupt", "mode", "mode = \"unknown_keyword\""},
    {"latency", "latency", "latency = \"200ms\""},
    {"bandwidth", "bandwidth", "bandwidth = \"100KB/s\""},
    {"slice", "slice_bytes", "slice_bytes = 64"},
    {"errors", "ratio", "ratio = \"25%\""},
    {"slow", "delay", "delay = \"500ms\""},
    {"overload", "max_inflight", "max_inflight = 4"},
    {"random", "actions", "actions = [\"kill\", \"pause\"]"},
    {"random", "targets", "targets = [\"app/web1\", \"app/web2\"]"},
}};

constexpr std::array<std::string_view, 6> kCorruptModes{
    "syntax_error_new_server", "unknown_keyword",          "truncated",
    "checks_removed",          "all_weights_but_one_zero", "wrong_server_port"};
constexpr std::array<std::string_view, 2> kApplyModes{"reload", "restart"};
constexpr std::array<std::string_view, 3> kDirections{"up", "down", "both"};
// What `random` may draw: actions whose parameters, if any, have sensible defaults.
constexpr std::array<std::string_view, 11> kRandomActions{
    "kill", "terminate", "pause",  "restart", "drain", "maint",
    "health_down", "hang", "health_fail", "blackhole", "reset"};

// haproxy's limits for `set weight`: an absolute weight is 0..256; a percentage of the initial
// weight may exceed 100% (the result is capped at 256), and haproxy clamps it at 25600%.
constexpr int kMaxAbsoluteWeight = 256;
constexpr int kMaxWeightPercent = 25600;

enum class Threshold { kRatio, kDuration, kCount, kNone };

struct ProbeInfo {
  std::string_view name;
  Threshold threshold = Threshold::kNone;
  unsigned targets = 0;  // 0: the probe takes no target
  bool target_required = false;
  // The probe measures from a fault: one on its target, or of `fault_action` when set.
  bool needs_fault = false;
  std::string_view fault_action = {};
};

// DESIGN.md "Probe catalogue".
constexpr std::array<ProbeInfo, 10> kProbes{{
    {.name = "availability", .threshold = Threshold::kRatio},
    {.name = "latency", .threshold = Threshold::kDuration},
    {.name = "error_count", .threshold = Threshold::kCount},
    {.name = "failover_time",
     .threshold = Threshold::kDuration,
     .targets = kServer,
     .target_required = true,
     .needs_fault = true},
    {.name = "recovery_time",
     .threshold = Threshold::kDuration,
     .targets = kServer,
     .target_required = true,
     .needs_fault = true},
    {.name = "detection_time",
     .threshold = Threshold::kDuration,
     .targets = kServer,
     .target_required = true,
     .needs_fault = true},
    {.name = "distribution",
     .threshold = Threshold::kRatio,
     .targets = kBackend},
    {.name = "reload_rejected",
     .threshold = Threshold::kNone,
     .needs_fault = true,
     .fault_action = "config_corrupt"},
    {.name = "mttr",
     .threshold = Threshold::kDuration,
     .targets = kInstance,
     .needs_fault = true,
     .fault_action = "lb_kill"},  // or config_corrupt applied by restart (is_lb_outage_for)
    {.name = "alert", .threshold = Threshold::kNone, .targets = kServer | kInstance},
}};

template <typename Info, std::size_t N>
constexpr std::array<std::string_view, N> names_of(const std::array<Info, N>& infos) {
  std::array<std::string_view, N> names{};
  for (std::size_t i = 0; i < N; ++i) names[i] = infos[i].name;
  return names;
}
constexpr auto kActionNames = names_of(kActions);
constexpr auto kProbeNames = names_of(kProbes);

template <typename Info, std::size_t N>
const Info& info_of(const std::array<Info, N>& infos, std::string_view name) {
  return *std::find_if(infos.begin(), infos.end(),
                       [&](const Info& info) { return info.name == name; });
}

// "25s", "250ms", "1500ms": exact, and the way users write durations.
std::string spell(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::string join(const std::vector<std::string>& items) {
  return items.empty() ? std::string("none") : fmt::format("{}", fmt::join(items, ", "));
}

std::string join(std::span<const std::string_view> items) {
  return items.empty() ? std::string("none") : fmt::format("{}", fmt::join(items, ", "));
}

bool contains(std::span<const std::string_view> items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Every key some [[fault]] takes, in catalogue order.
std::vector<std::string_view> all_fault_keys() {
  std::vector<std::string_view> keys;
  for (const ActionInfo& action : kActions) {
    for (const std::string_view key : action.keys) {
      if (!contains(keys, key)) keys.push_back(key);
    }
  }
  return keys;
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

// "lb0" -> 0; anything else (including "lb01") -> nullopt.
std::optional<int> instance_index(std::string_view text) {
  constexpr std::string_view kPrefix = "lb";
  if (!text.starts_with(kPrefix)) return std::nullopt;
  const std::string_view digits = text.substr(kPrefix.size());
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits.front() == '0')) {
    return std::nullopt;
  }
  int index = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + (c - '0');
  }
  return index;
}

std::optional<Window> parse_window(std::string_view text) {
  if (text == "all") return Window::kAll;
  if (text == "steady") return Window::kSteady;
  if (text == "fault") return Window::kFault;
  if (text == "recovery") return Window::kRecovery;
  return std::nullopt;
}

// Lines before the first [table] header: enough to tell a scenario whose TOML does not parse.
bool has_top_level_topology_line(const std::string& text) {
  static const std::regex kTopologyKey(R"re(^\s*(topology|"topology"|'topology')\s*=)re");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] == '[') return false;
    if (std::regex_search(line, kTopologyKey)) return true;
  }
  return false;
}

class ScenarioLoader {
 public:
  ScenarioLoader(const topology::TomlFile& toml, const fs::path& file)
      : root_(toml.root, toml.file, "the scenario file"), file_(file) {
    scenario_.file = fs::absolute(file).lexically_normal();
  }

  // For one fault outside a scenario file (parse_fault): `table` is the root.
  ScenarioLoader(const toml::table& table, const Topology& topology, std::string source)
      : root_(table, std::move(source), "[fault]") {
    scenario_.topology = topology;
  }

  [[nodiscard]] FaultSpec load_fault() const { return read_fault_body(root_, Duration{0}); }

  Scenario load() {
    root_.allow_only(kTopLevelKeys);
    scenario_.name = root_.required_string("name");
    if (scenario_.name.empty()) root_.fail("name", "name must not be empty");
    read_topology();
    if (const auto seed = root_.integer("seed")) {
      if (*seed < 0) root_.fail("seed", fmt::format("seed must be at least 0, found {}", *seed));
      scenario_.seed = static_cast<std::uint64_t>(*seed);
    }
    if (auto description = root_.string("description")) {
      scenario_.description = std::move(*description);
    }
    read_traffic();
    for (const TableReader& fault : root_.table_array("fault", "[fault]")) {
      scenario_.faults.push_back(read_fault(fault));
    }
    const auto expects = root_.table_array("expect", "[expect]");
    if (expects.empty()) {
      root_.fail_here("the scenario has no [[expect]]: add at least one probe, otherwise the run "
                      "can never fail");
    }
    for (const TableReader& expect : expects) {
      scenario_.expectations.push_back(read_expectation(expect));
    }
    return std::move(scenario_);
  }

 private:
  [[nodiscard]] const Topology& topology() const { return scenario_.topology; }

  void read_topology() {
    const std::string text = root_.required_string("topology");
    if (text.empty()) root_.fail("topology", "topology must name a topology file");
    // Relative to the scenario file, and spelled from the path as given so errors inside the
    // topology read the way the user named things.
    const fs::path path = (file_.parent_path() / text).lexically_normal();
    std::error_code error;
    if (!fs::exists(path, error)) {
      root_.fail("topology", fmt::format("topology file {} does not exist", path.string()));
    }
    if (!fs::is_regular_file(path, error)) {
      root_.fail("topology", fmt::format("topology file {} is not a regular file", path.string()));
    }
    if (looks_like_scenario(path)) {
      root_.fail("topology", fmt::format("{} is a scenario, not a topology (it has its own "
                                         "'topology' key)",
                                         path.string()));
    }
    try {
      scenario_.topology = topology::load_topology(path);
    } catch (const InputError& e) {
      if (e.where().line > 0) throw;  // positioned inside the topology file: that is the mistake
      root_.fail("topology", e.message());
    }
  }

  void read_traffic() {
    TrafficSpec& traffic = scenario_.traffic;
    traffic.where = root_.position();
    const auto table = root_.table("traffic", "[traffic]");
    if (!table) return;
    table->allow_only(kTrafficKeys);
    traffic.where = table->position();
    if (const auto rate = table->number("rate")) {
      if (*rate <= 0) {
        table->fail("rate", fmt::format("rate must be greater than 0, found {}",
                                        describe_node(*table->find("rate"))));
      }
      if (*rate > kMaxRate) {
        table->fail("rate", fmt::format("rate must be at most {} requests/s, found {}", kMaxRate,
                                        describe_node(*table->find("rate"))));
      }
      traffic.rate = *rate;
    }
    if (const auto d = table->positive_duration("duration")) traffic.duration = *d;
    if (const auto warmup = table->duration("warmup")) {
      if (*warmup >= traffic.duration) {
        table->fail("warmup", fmt::format("warmup {} must be shorter than the duration ({})",
                                          spell(*warmup), spell(traffic.duration)));
      }
      traffic.warmup = *warmup;
    } else if (traffic.warmup >= traffic.duration) {
      table->fail("duration", fmt::format("duration {} must be longer than the warmup ({} by "
                                          "default; set warmup)",
                                          spell(traffic.duration), spell(traffic.warmup)));
    }
    if (const auto clients = table->integer_in("clients", 1, kMaxClients)) {
      traffic.clients = *clients;
    }
    if (const auto n = table->integer_in("max_connections", 1)) traffic.max_connections = *n;
    if (const auto d = table->positive_duration("timeout")) traffic.timeout = *d;
    if (auto paths = table->string_array("paths")) {
      if (paths->empty()) table->fail("paths", "paths must list at least one path, like [\"/\"]");
      for (std::size_t i = 0; i < paths->size(); ++i) {
        if (!(*paths)[i].starts_with('/')) {
          const toml::node& element = *table->find("paths")->as_array()->get(i);
          throw InputError(topology::source_position(table->file(), element.source()),
                           fmt::format("paths: {} must start with '/'", describe_node(element)));
        }
      }
      traffic.paths = std::move(*paths);
    }
    traffic.frontend = read_frontend(*table);
  }

  [[nodiscard]] std::string read_frontend(const TableReader& table) const {
    auto frontend = table.string("frontend");
    if (!frontend) return {};  // the first frontend
    if (frontend->empty()) table.fail("frontend", "frontend must name a frontend");
    // The frontends of a user's own haproxy config are not known here.
    if (topology().uses_user_config()) return std::move(*frontend);
    const auto& frontends = topology().frontends;
    const bool known = std::any_of(frontends.begin(), frontends.end(),
                                   [&](const auto& f) { return f.name == *frontend; });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& f : frontends) names.push_back(f.name);
      table.fail("frontend", fmt::format("frontend '{}' is not in topology {} (frontends: {})",
                                         *frontend, topology().name, join(names)));
    }
    return std::move(*frontend);
  }

  FaultSpec read_fault(const TableReader& table) const {
    check_fault_keys(table);
    if (!table.has("at")) {
      table.fail_here("missing required key 'at' in [fault] (when to inject it, counted from the "
                      "start of traffic, like \"5s\")");
    }
    const Duration at = *table.duration("at");
    const Duration end = scenario_.traffic.duration;
    if (at >= end) {
      table.fail("at", fmt::format("fault at {} is {} the end of the run (duration {})",
                                   spell(at), at == end ? "at" : "after", spell(end)));
    }
    return read_fault_body(table, at);
  }

  // Everything of a [[fault]] but its `at`: action, target, heal_after and parameters.
  FaultSpec read_fault_body(const TableReader& table, Duration at) const {
    check_fault_keys(table);
    FaultSpec fault;
    fault.where = table.position();
    fault.at = at;
    if (!table.has("action")) table.fail_here("missing required key 'action' in [fault]");
    fault.action = *table.one_of("action", kActionNames);
    const ActionInfo& action = info_of(kActions, fault.action);
    check_required_params(table, action);
    if (action.name == "random") {
      read_random(table, fault);
      return fault;
    }
    fault.target = table.required_string("target");
    check_target(table, fault.target, action.targets, fmt::format("action {}", action.name));
    if (const auto heal = table.positive_duration("heal_after")) fault.heal_after = *heal;
    read_params(table, fault.params, action);
    return fault;
  }

  // Every key must belong to the fault's action; a key of another action is named as such.
  static void check_fault_keys(const TableReader& table) {
    static const std::vector<std::string_view> kAllKeys = all_fault_keys();
    const toml::node* action_node = table.find("action");
    const auto* action_name = action_node != nullptr ? action_node->as_string() : nullptr;
    const auto known = action_name != nullptr && contains(kActionNames, action_name->get());
    if (!known) {
      table.allow_only(kAllKeys);  // the action itself is reported next
      return;
    }
    const ActionInfo& action = info_of(kActions, action_name->get());
    for (const std::string_view key : table.keys()) {
      if (contains(action.keys, key)) continue;
      if (!contains(kAllKeys, key)) {
        table.fail_at_key(key, fmt::format("unknown key '{}' in [fault] (fault action '{}' takes: "
                                           "{})",
                                           key, action.name, join(action.keys)));
      }
      std::string message = fmt::format("'{}' is not a parameter of fault action '{}' (it takes: "
                                        "{})",
                                        key, action.name, join(action.keys));
      if (action.name == "random" && key == "heal_after") {
        message += ": each drawn fault heals after a duration between min_duration and "
                   "max_duration";
      } else if (action.name == "random" && key == "target") {
        message += ": list the servers to draw from in targets = [...]";
      }
      table.fail_at_key(key, message);
    }
  }

  static void check_required_params(const TableReader& table, const ActionInfo& action) {
    for (const RequiredParam& param : kRequiredParams) {
      if (param.action == action.name && !table.has(param.key)) {
        table.fail_here(fmt::format("missing required key '{}' in [fault]: fault action {} needs "
                                    "it, like {}",
                                    param.key, action.name, param.example));
      }
    }
  }

  // The keys were checked against the action, so whatever is present belongs to it.
  static void read_params(const TableReader& table, FaultParams& params, const ActionInfo& action) {
    if (table.has("weight")) params.weight = read_weight(table);
    if (auto mode = table.one_of("mode", kCorruptModes)) params.mode = std::move(*mode);
    if (auto apply = table.one_of("apply", kApplyModes)) params.apply = std::move(*apply);
    // The latency action adds a delay; slice's latency is an optional pause between slices.
    params.latency =
        action.name == "latency" ? table.positive_duration("latency") : table.duration("latency");
    params.jitter = table.duration("jitter");
    if (table.has("bandwidth")) params.bandwidth = read_bandwidth(table);
    if (auto direction = table.one_of("direction", kDirections)) {
      params.direction = std::move(*direction);
    }
    if (const auto toxicity = table.percentage("toxicity")) params.toxicity = *toxicity;
    if (const auto bytes = table.integer("slice_bytes")) {
      if (*bytes < 1) {
        table.fail("slice_bytes", fmt::format("slice_bytes must be at least 1, found {}", *bytes));
      }
      params.slice_bytes = *bytes;
    }
    params.ratio = table.percentage("ratio");
    if (const auto status = table.integer_in("status", 500, 599)) params.status = *status;
    params.delay = table.positive_duration("delay");
    params.max_inflight = table.integer_in("max_inflight", 1);
    if (const auto crash = table.boolean("crash")) params.crash = *crash;
  }

  // "50%" of the initial weight (whole percents, as haproxy parses them) or an absolute weight
  // 0..256, as an integer or a string; kept in the form haproxy's `set weight` takes.
  static std::string read_weight(const TableReader& table) {
    const toml::node& node = *table.find("weight");
    if (const auto* whole = node.as_integer()) {
      if (whole->get() < 0 || whole->get() > kMaxAbsoluteWeight) {
        table.fail("weight", fmt::format("weight must be between 0 and {}, found {}",
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
          table.fail("weight", fmt::format("weight must be between 0% and {}% of the initial "
                                           "weight (haproxy caps the result at {}), found {}",
                                           kMaxWeightPercent, kMaxAbsoluteWeight,
                                           describe_node(node)));
        }
        if (!percent && *value > kMaxAbsoluteWeight) {
          table.fail("weight", fmt::format("weight must be between 0 and {}, found {}",
                                           kMaxAbsoluteWeight, describe_node(node)));
        }
        return percent ? fmt::format("{}%", *value) : std::to_string(*value);
      }
    }
    table.fail("weight", fmt::format("weight: expected a percentage of the initial weight like "
                                     "\"50%\" or an absolute weight from 0 to {} like 10, found {}",
                                     kMaxAbsoluteWeight, describe_node(node)));
  }

  // Bytes per second: an integer, or a string with an SI unit ("100KB/s", "1MB/s").
  static double read_bandwidth(const TableReader& table) {
    const toml::node& node = *table.find("bandwidth");
    std::optional<double> rate;
    if (const auto* whole = node.as_integer()) rate = static_cast<double>(whole->get());
    if (const auto* text = node.as_string()) rate = parse_byte_rate(text->get());
    if (!rate) {
      table.fail("bandwidth", fmt::format("bandwidth: expected bytes per second like 102400, "
                                          "\"100KB/s\" or \"1MB/s\" (units B, KB, MB, GB per "
                                          "second), found {}",
                                          describe_node(node)));
    }
    if (*rate < 1) {
      table.fail("bandwidth", fmt::format("bandwidth must be at least 1 byte per second, found {}",
                                          describe_node(node)));
    }
    return *rate;
  }

  // A seeded schedule (random_schedule.h draws it); the timing is stored with its defaults.
  void read_random(const TableReader& table, FaultSpec& fault) const {
    FaultParams& params = fault.params;
    params.actions = *table.string_array("actions");
    if (params.actions.empty()) {
      table.fail("actions", fmt::format("actions must list at least one action to draw from "
                                        "({})",
                                        join(kRandomActions)));
    }
    for (std::size_t i = 0; i < params.actions.size(); ++i) {
      const std::string& action = params.actions[i];
      if (!contains(kRandomActions, action)) {
        fail_at_element(table, "actions", i,
                        fmt::format("actions: random cannot draw '{}' (it draws: {})", action,
                                    join(kRandomActions)));
      }
      check_unique(table, "actions", params.actions, i);
    }
    params.targets = *table.string_array("targets");
    if (params.targets.empty()) {
      table.fail("targets", fmt::format("targets must list at least one server to draw from ({})",
                                        alternatives(kServer)));
    }
    for (std::size_t i = 0; i < params.targets.size(); ++i) {
      check_target_at(element_position(table, "targets", i), params.targets[i], kServer,
                      "random");
      check_unique(table, "targets", params.targets, i);
    }
    params.min_gap = table.duration("min_gap").value_or(kRandomDefaultMinGap);
    const auto min_duration = table.positive_duration("min_duration");
    const auto max_duration = table.positive_duration("max_duration");
    params.min_duration = min_duration.value_or(kRandomDefaultMinDuration);
    params.max_duration = max_duration.value_or(kRandomDefaultMaxDuration);
    if (*params.min_duration > *params.max_duration) {
      table.fail(min_duration ? "min_duration" : "max_duration",
                 fmt::format("min_duration {}{} is longer than max_duration {}{}",
                             spell(*params.min_duration), min_duration ? "" : " (the default)",
                             spell(*params.max_duration), max_duration ? "" : " (the default)"));
    }
    const Duration end = scenario_.traffic.duration;
    if (fault.at + *params.min_duration >= end) {
      table.fail("at", fmt::format("random from {} cannot fit one fault of min_duration {} "
                                   "that heals before the end of the run (duration {})",
                                   spell(fault.at), spell(*params.min_duration), spell(end)));
    }
  }

  static SourcePosition element_position(const TableReader& table, std::string_view key,
                                         std::size_t index) {
    const toml::node& element = *table.find(key)->as_array()->get(index);
    return topology::source_position(table.file(), element.source());
  }

  [[noreturn]] static void fail_at_element(const TableReader& table, std::string_view key,
                                           std::size_t index, const std::string& message) {
    throw InputError(element_position(table, key, index), message);
  }

  static void check_unique(const TableReader& table, std::string_view key,
                           const std::vector<std::string>& items, std::size_t index) {
    const auto first = std::find(items.begin(), items.end(), items[index]);
    if (static_cast<std::size_t>(first - items.begin()) != index) {
      fail_at_element(table, key, index,
                      fmt::format("{}: '{}' is listed twice", key, items[index]));
    }
  }

  Expectation read_expectation(const TableReader& table) const {
    table.allow_only(kExpectKeys);
    Expectation expectation;
    expectation.where = table.position();
    if (!table.has("probe")) table.fail_here("missing required key 'probe' in [expect]");
    expectation.probe = *table.one_of("probe", kProbeNames);
    const ProbeInfo& probe = info_of(kProbes, expectation.probe);
    if (const auto during = table.one_of("during", kWindows)) {
      expectation.during = *parse_window(*during);
      const bool needs_fault =
          expectation.during == Window::kFault || expectation.during == Window::kRecovery;
      if (needs_fault && scenario_.faults.empty()) {
        table.fail("during", fmt::format("during = \"{}\" needs at least one [[fault]] (this "
                                         "scenario has none)",
                                         *during));
      }
    }
    read_probe_target(table, probe, expectation);
    read_thresholds(table, probe, expectation);
    if (const auto percentile = table.number("percentile")) {
      if (probe.name != "latency") {
        table.fail_at_key("percentile", fmt::format("'percentile' only applies to probe latency, "
                                                    "not {}",
                                                    probe.name));
      }
      const bool allowed = std::any_of(kPercentiles.begin(), kPercentiles.end(),
                                       [&](double p) { return std::abs(p - *percentile) < 1e-9; });
      if (!allowed) {
        table.fail("percentile", fmt::format("percentile must be one of 50, 90, 99, 99.9, found {}",
                                             describe_node(*table.find("percentile"))));
      }
      expectation.percentile = *percentile;
    }
    if (table.has("min_samples") && probe.name != "distribution") {
      table.fail_at_key("min_samples", fmt::format("'min_samples' only applies to probe "
                                                   "distribution, not {}",
                                                   probe.name));
    }
    if (const auto n = table.integer_in("min_samples", 1)) expectation.min_samples = *n;
    if (const auto abort = table.boolean("abort")) {
      expectation.abort = *abort;
      if (const auto why = abort_not_supported(expectation); why && *abort) {
        table.fail_at_key("abort", *why);
      }
    }
    if (probe.name == "alert") {
      read_alert_check(table, expectation);
    } else {
      for (const std::string_view key : {"rule", "labels", "fires_within", "resolves_within",
                                         "silent", "delivered_within"}) {
        if (table.has(key)) {
          table.fail_at_key(key, fmt::format("'{}' only applies to probe alert, not {}", key,
                                             probe.name));
        }
      }
    }
    return expectation;
  }

  // probe = "alert": exactly one of fires_within / resolves_within / delivered_within (a
  // duration from the fault) or silent = true; `rule` names the alert (optional for silent).
  void read_alert_check(const TableReader& table, Expectation& expectation) const {
    using Kind = AlertCheck::Kind;
    std::vector<std::string_view> given;
    for (const auto key : table.keys()) {
      if (contains(kAlertCheckKeys, key)) given.push_back(key);
    }
    if (given.empty()) {
      table.fail_here("probe alert needs one of fires_within, resolves_within, "
                      "delivered_within (a duration) or silent = true");
    }
    if (given.size() > 1) {
      table.fail_at_key(given[1], fmt::format("set one of {} and {} per [[expect]], not both",
                                              given[0], given[1]));
    }
    AlertCheck check;
    const std::string_view key = given[0];
    if (key == "silent") {
      if (!*table.boolean("silent")) {
        table.fail("silent", "silent = false checks nothing: remove it, or use fires_within");
      }
      check.kind = Kind::kSilent;
    } else {
      check.kind = key == "fires_within"      ? Kind::kFiresWithin
                   : key == "resolves_within" ? Kind::kResolvesWithin
                                              : Kind::kDeliveredWithin;
      check.within = *table.positive_duration(key);
      if (scenario_.faults.empty() && check.kind == Kind::kResolvesWithin) {
        table.fail_at_key(key, "resolves_within is measured from a fault's heal, but the "
                               "scenario has no [[fault]]");
      }
      if (!expectation.target.empty()) {
        check_measured_fault(table, info_of(kProbes, "alert"), expectation);
      }
      if (check.kind == Kind::kDeliveredWithin && !scenario_.topology.alerting.alertmanager) {
        table.fail_at_key(key, "delivered_within needs Alertmanager: [alerting] engine = "
                               "\"prometheus\" and alertmanager = true in the topology");
      }
    }
    if (auto rule = table.string("rule")) {
      if (rule->empty()) table.fail("rule", "rule must name an alert (its alertname)");
      check.rule = std::move(*rule);
    } else if (check.kind != Kind::kSilent) {
      table.fail_here(fmt::format("probe alert with {} needs rule = \"<alertname>\"", key));
    }
    if (const auto labels = table.table("labels", "[expect.labels]")) {
      for (const auto label : labels->keys()) {
        check.labels[std::string(label)] = labels->required_string(label);
      }
    }
    if (table.has("during") && check.kind != Kind::kSilent) {
      table.fail_at_key("during", fmt::format("'during' applies to silent; {} is measured from "
                                              "the fault",
                                              key));
    }
    expectation.alert = std::move(check);
  }

  void read_probe_target(const TableReader& table, const ProbeInfo& probe,
                         Expectation& expectation) const {
    if (auto target = table.string("target")) {
      if (probe.targets == 0) {
        table.fail_at_key("target", fmt::format("probe {} takes no target", probe.name));
      }
      check_target(table, *target, probe.targets, fmt::format("probe {}", probe.name));
      expectation.target = std::move(*target);
    } else if (probe.target_required) {
      table.fail_here(fmt::format("missing required key 'target' in [expect]: probe {} measures "
                                  "{} (like target = \"{}\")",
                                  probe.name, describe_kinds(probe.targets), example_target()));
    }
    if (probe.needs_fault) check_measured_fault(table, probe, expectation);
  }

  // mttr measures an LB outage: losing the instance (lb_kill, seed 000) or a bad config
  // applied by restart (seed 001), which stops haproxy until the good config is back.
  static bool is_lb_outage_for(const ProbeInfo& probe, const FaultSpec& fault) {
    return probe.name == "mttr" && fault.action == "config_corrupt" &&
           fault.params.apply == "restart";
  }

  // A probe that measures from a fault needs that fault in the schedule.
  void check_measured_fault(const TableReader& table, const ProbeInfo& probe,
                            const Expectation& expectation) const {
    const auto& faults = scenario_.faults;
    const bool found = std::any_of(faults.begin(), faults.end(), [&](const FaultSpec& fault) {
      // A random fault may draw any of its actions on any of its targets.
      const auto& actions = fault.params.actions;
      const auto& targets = fault.params.targets;
      const bool random = fault.action == "random";
      if (!probe.fault_action.empty() &&
          !(random ? std::find(actions.begin(), actions.end(), probe.fault_action) != actions.end()
                   : fault.action == probe.fault_action || is_lb_outage_for(probe, fault))) {
        return false;
      }
      return expectation.target.empty() ||
             (random ? std::find(targets.begin(), targets.end(), expectation.target) != targets.end()
                     : fault.target == expectation.target);
    });
    if (found) return;
    const std::string_view key = expectation.target.empty() ? "probe" : "target";
    std::string wanted = probe.fault_action.empty()
                             ? fmt::format("a [[fault]] on {}", expectation.target)
                             : fmt::format("a [[fault]] with action = \"{}\"", probe.fault_action);
    if (probe.name == "mttr") wanted += R"( or action = "config_corrupt" with apply = "restart")";
    if (!probe.fault_action.empty() && !expectation.target.empty()) {
      wanted += fmt::format(" on {}", expectation.target);
    }
    if (faults.empty()) {
      table.fail(key, fmt::format("probe {} measures from {}, but the scenario has no [[fault]]",
                                  probe.name, wanted));
    }
    std::vector<std::string> scheduled;
    for (const FaultSpec& fault : faults) {
      std::string what = fault.action == "random"
                             ? fmt::format("random over {}", join(fault.params.targets))
                             : fmt::format("{} {}", fault.action, fault.target);
      if (fault.action == "config_corrupt") what += " by " + fault.params.apply;
      scheduled.push_back(std::move(what));
    }
    table.fail(key, fmt::format("probe {} measures from {}, but none is scheduled (faults: {})",
                                probe.name, wanted, join(scheduled)));
  }

  static void read_thresholds(const TableReader& table, const ProbeInfo& probe,
                              Expectation& expectation) {
    const bool has_least = table.has("at_least");
    const bool has_most = table.has("at_most");
    if (probe.threshold == Threshold::kNone) {
      if (has_least || has_most) {
        const std::string_view key = has_least ? "at_least" : "at_most";
        table.fail_at_key(key, fmt::format("probe {} takes no threshold: it passes or fails on "
                                           "what happened",
                                           probe.name));
      }
      return;
    }
    if (has_least && has_most) {
      const auto least = table.key_position("at_least");
      const auto most = table.key_position("at_most");
      const bool most_is_later =
          most.line != least.line ? most.line > least.line : most.column > least.column;
      const std::string_view later = most_is_later ? "at_most" : "at_least";
      table.fail_at_key(later, "set either at_least or at_most, not both (use two [[expect]] "
                               "for a range)");
    }
    if (!has_least && !has_most) {
      table.fail_here(fmt::format("probe {} needs a threshold: at_least or at_most", probe.name));
    }
    const std::string_view key = has_least ? "at_least" : "at_most";
    const double value = read_threshold(table, key, probe);
    (has_least ? expectation.at_least : expectation.at_most) = value;
  }

  static double read_threshold(const TableReader& table, std::string_view key,
                               const ProbeInfo& probe) {
    const toml::node& node = *table.find(key);
    switch (probe.threshold) {
      case Threshold::kRatio: {
        const auto* text = node.as_string();
        if (!node.is_number() && !(text != nullptr && text->get().ends_with('%'))) {
          const bool deviation = probe.name == "distribution";
          table.fail(key, fmt::format("{} thresholds are ratios like \"{}\" or {}, found {}",
                                      probe.name, deviation ? "5%" : "99.5%",
                                      deviation ? "0.05" : "0.995", describe_node(node)));
        }
        return *table.percentage(key);
      }
      case Threshold::kDuration: {
        const auto* text = node.as_string();
        const auto duration = text != nullptr ? parse_duration(text->get()) : std::nullopt;
        if (!duration) {
          table.fail(key, fmt::format("{} thresholds are durations like \"250ms\", found {}",
                                      probe.name, describe_node(node)));
        }
        return seconds(*duration);
      }
      case Threshold::kCount: {
        const auto* count = node.as_integer();
        if (count == nullptr) {
          table.fail(key, fmt::format("{} thresholds are whole numbers of requests like 10, "
                                      "found {}",
                                      probe.name, describe_node(node)));
        }
        if (count->get() < 0) {
          table.fail(key, fmt::format("{} must be at least 0, found {}", key, count->get()));
        }
        return static_cast<double>(count->get());
      }
      case Threshold::kNone: break;
    }
    return 0;
  }

  // Throws at the `target` value unless `target` names something of an `allowed` kind.
  void check_target(const TableReader& table, const std::string& target, unsigned allowed,
                    const std::string& subject) const {
    check_target_at(table.value_position("target"), target, allowed, subject);
  }

  void check_target_at(const SourcePosition& where, const std::string& target, unsigned allowed,
                       const std::string& subject) const {
    for (const TargetKind kind : kTargetKinds) {
      if ((allowed & kind) != 0 && names(kind, target)) return;
    }
    for (const TargetKind kind : kTargetKinds) {
      if (names(kind, target)) {
        throw InputError(where, fmt::format("{} targets {}, not {} {} ({})", subject,
                                            describe_kinds(allowed), kind_name(kind), target,
                                            alternatives(allowed)));
      }
    }
    throw InputError(where, fmt::format("target {} is not in topology {} ({})",
                                        target.empty() ? "\"\"" : target, topology().name,
                                        alternatives(allowed)));
  }

  [[nodiscard]] bool names(TargetKind kind, std::string_view target) const {
    switch (kind) {
      case kServer: {
        const auto slash = target.find('/');
        return slash != std::string_view::npos &&
               topology().find_server(target.substr(0, slash), target.substr(slash + 1)) !=
                   nullptr;
      }
      case kInstance: {
        const auto index = instance_index(target);
        return index && *index < topology().haproxy.instances;
      }
      case kBackend: return topology().find_backend(target) != nullptr;
    }
    return false;
  }

  static std::string_view kind_name(TargetKind kind) {
    switch (kind) {
      case kServer: return "server";
      case kInstance: return "haproxy instance";
      case kBackend: return "backend";
    }
    return "target";
  }

  // "a server or an haproxy instance"
  static std::string describe_kinds(unsigned kinds) {
    std::vector<std::string> parts;
    if ((kinds & kServer) != 0) parts.emplace_back("server");
    if ((kinds & kInstance) != 0) parts.emplace_back("haproxy instance");
    if ((kinds & kBackend) != 0) parts.emplace_back("backend");
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += " or ";
      out += parts[i].front() == 'h' ? "an " : "a ";
      out += parts[i];
    }
    return out;
  }

  // "servers: app/web1, app/web2; haproxy instances: lb0"
  [[nodiscard]] std::string alternatives(unsigned kinds) const {
    std::vector<std::string> parts;
    if ((kinds & kServer) != 0) {
      std::vector<std::string> servers;
      for (const auto& backend : topology().backends) {
        for (const auto& server : backend.servers) {
          servers.push_back(topology::server_key(backend.name, server.name));
        }
      }
      parts.push_back("servers: " + join(servers));
    }
    if ((kinds & kInstance) != 0) {
      std::vector<std::string> instances;
      for (int i = 0; i < topology().haproxy.instances; ++i) {
        instances.push_back(fmt::format("lb{}", i));
      }
      parts.push_back("haproxy instances: " + join(instances));
    }
    if ((kinds & kBackend) != 0) {
      std::vector<std::string> backends;
      for (const auto& backend : topology().backends) backends.push_back(backend.name);
      parts.push_back("backends: " + join(backends));
    }
    return fmt::format("{}", fmt::join(parts, "; "));
  }

  [[nodiscard]] std::string example_target() const {
    for (const auto& backend : topology().backends) {
      if (!backend.servers.empty()) {
        return topology::server_key(backend.name, backend.servers.front().name);
      }
    }
    return "app/web1";
  }

  TableReader root_;
  fs::path file_;
  Scenario scenario_;
};

}  // namespace

Scenario load_scenario(const std::filesystem::path& file) {
  const topology::TomlFile toml = topology::read_toml_file(file, "scenario");
  return ScenarioLoader(toml, file).load();
}

FaultSpec parse_fault(const toml::table& table, const topology::Topology& topology,
                      std::string_view source) {
  return ScenarioLoader(table, topology, std::string(source)).load_fault();
}

Scenario parse_scenario(std::string_view text, const std::filesystem::path& file) {
  const topology::TomlFile toml = topology::parse_toml(text, file.string());
  return ScenarioLoader(toml, file).load();
}

bool looks_like_scenario(const std::filesystem::path& toml_file) {
  std::error_code error;
  if (!fs::is_regular_file(toml_file, error)) return false;
  std::ifstream in(toml_file, std::ios::binary);
  if (!in) return false;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return false;
  try {
    return topology::parse_toml(text, toml_file.string()).root.contains("topology");
  } catch (const InputError&) {
    return has_top_level_topology_line(text);
  }
}

}  // namespace lbchaos::scenario
