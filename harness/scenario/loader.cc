#include "harness/scenario/loader.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

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
// Action-specific keys (mode, weight, delay, ratio...) arrive with the faults that use them.
constexpr std::array<std::string_view, 4> kFaultKeys{"at", "action", "target", "heal_after"};
constexpr std::array<std::string_view, 7> kExpectKeys{
    "probe", "during", "target", "at_least", "at_most", "percentile", "min_samples"};
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
};

// DESIGN.md "Fault catalogue". Every name loads; the runner says which ones it can inject.
constexpr std::array<ActionInfo, 23> kActions{{
    {"kill", kServer},
    {"terminate", kServer},
    {"pause", kServer},
    {"restart", kServer},
    {"lb_kill", kInstance},
    {"lb_restore", kInstance},
    {"config_corrupt", kServer | kInstance},  // a server line, or an instance's whole config
    {"set_weight", kServer},
    {"drain", kServer},
    {"maint", kServer},
    {"health_down", kServer},
    {"latency", kServer},
    {"bandwidth", kServer},
    {"reset", kServer},
    {"blackhole", kServer},
    {"slow_close", kServer},
    {"slice", kServer},
    {"errors", kServer},
    {"slow", kServer},
    {"hang", kServer},
    {"health_fail", kServer},
    {"overload", kServer},
    {"random", kServer | kInstance},
}};

enum class Threshold { kRatio, kDuration, kCount, kNone };

struct ProbeInfo {
  std::string_view name;
  Threshold threshold = Threshold::kNone;
  unsigned targets = 0;  // 0: the probe takes no target
  bool target_required = false;
  bool at_most_only = false;
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
     .targets = kBackend,
     .at_most_only = true},
    {.name = "reload_rejected",
     .threshold = Threshold::kNone,
     .needs_fault = true,
     .fault_action = "config_corrupt"},
    {.name = "mttr",
     .threshold = Threshold::kDuration,
     .targets = kInstance,
     .needs_fault = true,
     .fault_action = "lb_kill"},
    {.name = "alert", .threshold = Threshold::kNone},
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
    table.allow_only(kFaultKeys);
    FaultSpec fault;
    fault.where = table.position();
    if (!table.has("at")) {
      table.fail_here("missing required key 'at' in [fault] (when to inject it, counted from the "
                      "start of traffic, like \"5s\")");
    }
    fault.at = *table.duration("at");
    const Duration end = scenario_.traffic.duration;
    if (fault.at >= end) {
      table.fail("at", fmt::format("fault at {} is {} the end of the run (duration {})",
                                   spell(fault.at), fault.at == end ? "at" : "after", spell(end)));
    }
    if (!table.has("action")) table.fail_here("missing required key 'action' in [fault]");
    fault.action = *table.one_of("action", kActionNames);
    const ActionInfo& action = info_of(kActions, fault.action);
    fault.target = table.required_string("target");
    check_target(table, fault.target, action.targets, fmt::format("action {}", action.name));
    if (const auto heal = table.positive_duration("heal_after")) fault.heal_after = *heal;
    return fault;
  }

  Expectation read_expectation(const TableReader& table) const {
    table.allow_only(kExpectKeys);
    Expectation expectation;
    expectation.where = table.position();
    if (!table.has("probe")) table.fail_here("missing required key 'probe' in [expect]");
    expectation.probe = *table.one_of("probe", kProbeNames);
    const ProbeInfo& probe = info_of(kProbes, expectation.probe);
    if (probe.name == "alert") {
      table.fail("probe", "probe alert needs alert rules (fires_within, resolves_within, "
                          "silent), which this version cannot load yet");
    }
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
    return expectation;
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

  // A probe that measures from a fault needs that fault in the schedule.
  void check_measured_fault(const TableReader& table, const ProbeInfo& probe,
                            const Expectation& expectation) const {
    const auto& faults = scenario_.faults;
    const bool found = std::any_of(faults.begin(), faults.end(), [&](const FaultSpec& fault) {
      if (fault.action == "random") return true;
      if (!probe.fault_action.empty() && fault.action != probe.fault_action) return false;
      return expectation.target.empty() || fault.target == expectation.target;
    });
    if (found) return;
    const std::string_view key = expectation.target.empty() ? "probe" : "target";
    std::string wanted = probe.fault_action.empty()
                             ? fmt::format("a [[fault]] on {}", expectation.target)
                             : fmt::format("a [[fault]] with action = \"{}\"", probe.fault_action);
    if (!probe.fault_action.empty() && !expectation.target.empty()) {
      wanted += fmt::format(" on {}", expectation.target);
    }
    if (faults.empty()) {
      table.fail(key, fmt::format("probe {} measures from {}, but the scenario has no [[fault]]",
                                  probe.name, wanted));
    }
    std::vector<std::string> scheduled;
    for (const FaultSpec& fault : faults) {
      scheduled.push_back(fmt::format("{} {}", fault.action, fault.target));
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
    if (probe.at_most_only && has_least) {
      table.fail_at_key("at_least",
                        fmt::format("probe {} takes at_most (the largest deviation of any "
                                    "server's share from its expected share), not at_least",
                                    probe.name));
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
      table.fail_here(probe.at_most_only
                          ? fmt::format("probe {} needs a threshold: at_most", probe.name)
                          : fmt::format("probe {} needs a threshold: at_least or at_most",
                                        probe.name));
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
          const bool deviation = probe.at_most_only;
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
    for (const TargetKind kind : kTargetKinds) {
      if ((allowed & kind) != 0 && names(kind, target)) return;
    }
    for (const TargetKind kind : kTargetKinds) {
      if (names(kind, target)) {
        table.fail("target", fmt::format("{} targets {}, not {} {} ({})", subject,
                                         describe_kinds(allowed), kind_name(kind), target,
                                         alternatives(allowed)));
      }
    }
    table.fail("target", fmt::format("target {} is not in topology {} ({})",
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
