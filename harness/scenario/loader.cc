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

#include "faults/catalogue.h"
#include "faults/random.h"
#include "harness/probes/registry.h"
#include "harness/scenario/abort_condition.h"
#include "harness/scenario/fault_parser.h"
#include "harness/scenario/targets.h"
#include "harness/scenario/traffic_loader.h"
#include "harness/topology/loader.h"
#include "harness/common/toml_reader.h"

namespace lbchaos::scenario {
namespace {

namespace fs = std::filesystem;
using topology::Topology;

constexpr std::array<std::string_view, 7> kTopLevelKeys{
    "name", "topology", "seed", "description", "traffic", "fault", "expect"};
constexpr std::array<std::string_view, 8> kTrafficKeys{
    "rate", "duration", "warmup", "clients", "max_connections", "timeout", "paths", "frontend"};
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

using probes::ProbeInfo;
using probes::Threshold;

const ProbeInfo& probe_info(std::string_view name) { return *probes::find_probe(name); }

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

bool contains(std::span<const std::string_view> items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
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
  ScenarioLoader(const TomlFile& toml, const fs::path& file)
      : root_(toml.root, toml.file, "the scenario file"), file_(file) {
    scenario_.file = fs::absolute(file).lexically_normal();
  }

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
      scenario_.faults.push_back(read_fault(fault, topology(), scenario_.traffic.duration));
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
    std::vector<std::string_view> keys(kTrafficKeys.begin(), kTrafficKeys.end());
    keys.insert(keys.end(), kTrafficShapeKeys.begin(), kTrafficShapeKeys.end());
    table->allow_only(keys);
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
          throw InputError(source_position(table->file(), element.source()),
                           fmt::format("paths: {} must start with '/'", describe_node(element)));
        }
      }
      traffic.paths = std::move(*paths);
    }
    traffic.frontend = read_frontend(*table);
    read_traffic_shape(*table, traffic);
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

  Expectation read_expectation(const TableReader& table) const {
    table.allow_only(kExpectKeys);
    Expectation expectation;
    expectation.where = table.position();
    if (!table.has("probe")) table.fail_here("missing required key 'probe' in [expect]");
    expectation.probe = *table.one_of("probe", probes::probe_names());
    const ProbeInfo& probe = probe_info(expectation.probe);
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
        check_measured_fault(table, probe_info(expectation.probe), expectation);
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
      TargetNames(topology()).check(table.value_position("target"), *target, probe.targets,
                                    fmt::format("probe {}", probe.name));
      expectation.target = std::move(*target);
    } else if (probe.target_required) {
      table.fail_here(fmt::format("missing required key 'target' in [expect]: probe {} measures "
                                  "{} (like target = \"{}\")",
                                  probe.name, TargetNames::describe_kinds(probe.targets),
                                  TargetNames(topology()).example_server()));
    }
    if (probe.needs_fault) check_measured_fault(table, probe, expectation);
  }

  // A probe that measures from a fault needs that fault in the schedule.
  void check_measured_fault(const TableReader& table, const ProbeInfo& probe,
                            const Expectation& expectation) const {
    const auto& planned = scenario_.faults;
    const bool found = std::any_of(planned.begin(), planned.end(), [&](const FaultSpec& fault) {
      // A random fault may draw any of its actions on any of its targets.
      const faults::ActionInfo* action = faults::find_action(fault.action);
      const bool random = action != nullptr && action->draws_faults;
      const auto drawn = fault.param<std::vector<std::string>>("actions").value_or(
          std::vector<std::string>{});
      const auto targets = fault.param<std::vector<std::string>>(faults::kRandomTargets)
                               .value_or(std::vector<std::string>{});
      if (probe.fault_effect != kNoEffect) {
        unsigned effects = faults::effects_of(fault);
        if (random) {
          for (const auto& name : drawn) {
            if (const auto* candidate = faults::find_action(name)) {
              effects |= faults::possible_effects(*candidate);
            }
          }
        }
        if ((effects & probe.fault_effect) == 0) return false;
      }
      return expectation.target.empty() ||
             (random ? std::find(targets.begin(), targets.end(), expectation.target) !=
                           targets.end()
                     : fault.target == expectation.target);
    });
    if (found) return;
    const std::string_view key = expectation.target.empty() ? "probe" : "target";
    std::string wanted = probe.fault_effect == kNoEffect
                             ? fmt::format("a [[fault]] on {}", expectation.target)
                             : faults::describe_faults_with(probe.fault_effect);
    if (probe.fault_effect != kNoEffect && !expectation.target.empty()) {
      wanted += fmt::format(" on {}", expectation.target);
    }
    if (planned.empty()) {
      table.fail(key, fmt::format("probe {} measures from {}, but the scenario has no [[fault]]",
                                  probe.name, wanted));
    }
    std::vector<std::string> scheduled;
    for (const FaultSpec& fault : planned) scheduled.push_back(faults::describe(fault));
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

  TableReader root_;
  fs::path file_;
  Scenario scenario_;
};

}  // namespace

Scenario load_scenario(const std::filesystem::path& file) {
  const TomlFile toml = read_toml_file(file, "scenario");
  return ScenarioLoader(toml, file).load();
}

Scenario parse_scenario(std::string_view text, const std::filesystem::path& file) {
  const TomlFile toml = parse_toml(text, file.string());
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
    return parse_toml(text, toml_file.string()).root.contains("topology");
  } catch (const InputError&) {
    return has_top_level_topology_line(text);
  }
}

}  // namespace lbchaos::scenario
