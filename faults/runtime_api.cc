#include "faults/runtime_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <sstream>
#include <stdexcept>

#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"
#include "harness/observe/unix_cli.h"

namespace lbchaos::faults {

namespace asio = boost::asio;

namespace {

constexpr std::array<ParamInfo, 1> kWeightParams{{
    {.key = "weight",
     .type = ParamType::kWeight,
     .meaning = "\"50%\" of the server's initial weight, or an absolute weight 0..256",
     .example = "weight = \"50%\" (of the initial weight) or weight = 10"},
}};

// In the order of RuntimeApiFault::Kind.
constexpr std::array<ActionInfo, 4> kActions{{
    {.name = "set_weight", .params = kWeightParams,
     .summary = "`set weight` on every instance; healed by the weight read before"},
    {.name = "drain", .random_may_draw = true, .verb = "drained",
     .summary = "`set server state drain`; healed by the state read before"},
    {.name = "maint", .random_may_draw = true, .verb = "put in maintenance",
     .summary = "`set server state maint`; healed by the state read before"},
    {.name = "health_down", .random_may_draw = true,
     .summary = "`set server health down`; healed by the health read before"},
}};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < line.size()) {
    const auto start = line.find_first_not_of(' ', at);
    if (start == std::string_view::npos) break;
    const auto end = std::min(line.find(' ', start), line.size());
    words.push_back(line.substr(start, end - start));
    at = end;
  }
  return words;
}

// The state `set server be/s state ...` would set to get back to `s`. A server disabled in the
// config shows forced maintenance too, so it maps to maint as well.
std::string_view admin_word(const ServerRuntimeState& s) {
  if ((s.admin_state & kAdminForcedMaint) != 0) return "maint";
  if ((s.admin_state & kAdminForcedDrain) != 0) return "drain";
  return "ready";
}

// The health `set server be/s health ...` would set to get back to `s`.
std::string_view health_word(const ServerRuntimeState& s) {
  switch (s.op_state) {
    case 0: return "down";
    case 3: return "stopping";
    default: return "up";  // running, or starting (slowstart): both take traffic
  }
}

// A runtime API command whose success is an empty reply; anything else is haproxy refusing it.
asio::awaitable<std::string> cli(deploy::HaproxyInstance& instance, std::string command) {
  try {
    co_return co_await observe::cli_request(instance.endpoints().stats_socket, command);
  } catch (const std::runtime_error& e) {
    throw EnvironmentError(fmt::format("haproxy {}: {}", instance.name(), e.what()));
  }
}

[[noreturn]] void refused(const deploy::HaproxyInstance& instance, const std::string& command,
                          std::string_view reply) {
  throw EnvironmentError(fmt::format("haproxy {} answered '{}' to '{}'", instance.name(),
                                     trim(reply), command));
}

asio::awaitable<void> cli_set(deploy::HaproxyInstance& instance, std::string command) {
  const std::string reply = co_await cli(instance, command);
  if (!trim(reply).empty()) refused(instance, command, reply);
}

asio::awaitable<WeightReading> get_weight(deploy::HaproxyInstance& instance, std::string key) {
  const std::string command = "get weight " + key;
  const std::string reply = co_await cli(instance, command);
  const auto weight = parse_get_weight(reply);
  if (!weight) refused(instance, command, reply);
  co_return *weight;
}

std::string join(const std::vector<std::string>& parts) {
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace

std::optional<ServerRuntimeState> parse_servers_state(std::string_view reply,
                                                      std::string_view server) {
  std::map<std::string, std::size_t, std::less<>> columns;
  std::istringstream lines{std::string(reply)};
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# ")) {
      const auto names = split_words(std::string_view(line).substr(2));
      for (std::size_t i = 0; i < names.size(); ++i) columns[std::string(names[i])] = i;
      continue;
    }
    const auto words = split_words(line);
    const auto name = columns.find("srv_name");
    if (name == columns.end() || name->second >= words.size() || words[name->second] != server) {
      continue;
    }
    const auto field = [&](std::string_view column) -> std::optional<int> {
      const auto at = columns.find(column);
      if (at == columns.end() || at->second >= words.size()) return std::nullopt;
      return parse_int(words[at->second]);
    };
    const auto op = field("srv_op_state");
    const auto admin = field("srv_admin_state");
    const auto uweight = field("srv_uweight");
    const auto iweight = field("srv_iweight");
    const auto check = field("srv_check_state");
    if (!op || !admin || !uweight || !iweight || !check) return std::nullopt;
    return ServerRuntimeState{*op, *admin, *uweight, *iweight, *check};
  }
  return std::nullopt;
}

std::optional<WeightReading> parse_get_weight(std::string_view reply) {
  const auto words = split_words(trim(reply));
  if (words.size() != 3 || words[1] != "(initial" || !words[2].ends_with(')')) return std::nullopt;
  const auto current = parse_int(words[0]);
  const auto initial = parse_int(words[2].substr(0, words[2].size() - 1));
  if (!current || !initial) return std::nullopt;
  return WeightReading{*current, *initial};
}

namespace {

std::unique_ptr<Fault> make(const FaultSpec& spec, deploy::Deployment& deployment) {
  const auto kind = static_cast<RuntimeApiFault::Kind>(
      std::find_if(kActions.begin(), kActions.end(),
                   [&](const ActionInfo& a) { return a.name == spec.action; }) -
      kActions.begin());
  const auto slash = spec.target.find('/');
  if (slash == std::string::npos || deployment.server_keys().count(spec.target) == 0) {
    throw InputError(spec.where, fmt::format("{} needs a server of this run as its target "
                                             "(backend/server), found '{}'",
                                             spec.action, spec.target));
  }
  std::string weight = spec.param<std::string>("weight").value_or("");
  if (kind == RuntimeApiFault::Kind::kSetWeight && weight.empty()) {
    throw InputError(spec.where, "set_weight needs weight = \"<n>%\" or an absolute weight");
  }
  std::vector<deploy::HaproxyInstance*> instances;
  for (auto& instance : deployment.instances()) instances.push_back(instance.get());
  return std::make_unique<RuntimeApiFault>(kind, spec.target.substr(0, slash),
                                           spec.target.substr(slash + 1), std::move(weight),
                                           std::move(instances));
}

}  // namespace

const Family kRuntimeApiFamily{.name = "runtime API", .actions = kActions, .make = &make};

RuntimeApiFault::RuntimeApiFault(Kind kind, std::string backend, std::string server,
                                 std::string weight,
                                 std::vector<deploy::HaproxyInstance*> instances)
    : kind_(kind),
      backend_(std::move(backend)),
      server_(std::move(server)),
      weight_(std::move(weight)),
      instances_(std::move(instances)) {}

std::string RuntimeApiFault::inject_command() const {
  switch (kind_) {
    case Kind::kSetWeight: return fmt::format("set weight {} {}", key(), weight_);
    case Kind::kDrain: return fmt::format("set server {} state drain", key());
    case Kind::kMaint: return fmt::format("set server {} state maint", key());
    case Kind::kHealthDown: return fmt::format("set server {} health down", key());
  }
  return {};
}

std::string RuntimeApiFault::restore_command(const ServerRuntimeState& before) const {
  switch (kind_) {
    case Kind::kSetWeight: return fmt::format("set weight {} {}", key(), before.weight);
    case Kind::kDrain:
    case Kind::kMaint: return fmt::format("set server {} state {}", key(), admin_word(before));
    case Kind::kHealthDown: return fmt::format("set server {} health {}", key(), health_word(before));
  }
  return {};
}

asio::awaitable<ServerRuntimeState> RuntimeApiFault::read_state(
    deploy::HaproxyInstance& instance) const {
  const std::string command = "show servers state " + backend_;
  const std::string reply = co_await cli(instance, command);
  auto state = parse_servers_state(reply, server_);
  if (!state) refused(instance, command, reply);
  // `get weight` is the documented reading of the weight; it agrees with srv_uweight.
  const WeightReading weight = co_await get_weight(instance, key());
  state->weight = weight.current;
  state->initial_weight = weight.initial;
  co_return *state;
}

asio::awaitable<std::string> RuntimeApiFault::inject() {
  std::vector<std::string> parts;
  for (auto* instance : instances_) {
    if (!instance->running()) {
      parts.push_back(fmt::format("{}: not running, left alone", instance->name()));
      continue;
    }
    parts.push_back(co_await inject_into(*instance));
  }
  co_return fmt::format("{} on every haproxy instance: {}", inject_command(), join(parts));
}

asio::awaitable<std::string> RuntimeApiFault::inject_into(deploy::HaproxyInstance& instance) {
  const ServerRuntimeState before = co_await read_state(instance);
  // Remembered before the command is sent: if haproxy applies it and the reply is lost, the
  // heal still puts the server back.
  applied_.push_back(Applied{&instance, instance.pid(), before});
  co_await cli_set(instance, inject_command());
  const auto name = instance.name();
  switch (kind_) {
    case Kind::kSetWeight: {
      const WeightReading after = co_await get_weight(instance, key());
      co_return fmt::format("{}: weight {} -> {} (initial {}){}", name, before.weight,
                            after.current, after.initial,
                            after.current == 0 ? ", so it gets no new requests" : "");
    }
    case Kind::kDrain:
    case Kind::kMaint:
      co_return fmt::format("{}: state {} -> {}", name, admin_word(before),
                            kind_ == Kind::kDrain ? "drain" : "maint");
    case Kind::kHealthDown:
      co_return fmt::format("{}: health {} -> down{}", name, health_word(before),
                            (before.check_state & kCheckEnabled) != 0
                                ? " (its health checks keep running: passing ones bring it "
                                  "back UP)"
                                : "");
  }
  co_return std::string();
}

asio::awaitable<std::string> RuntimeApiFault::heal() {
  std::vector<std::string> parts;
  std::vector<std::string> failures;
  for (const auto& applied : applied_) {
    // One instance that cannot be healed must not leave the others faulted.
    try {
      parts.push_back(co_await heal_one(applied));
    } catch (const std::exception& e) {
      failures.emplace_back(e.what());
    }
  }
  if (!failures.empty()) {
    parts.insert(parts.end(), failures.begin(), failures.end());
    throw EnvironmentError(fmt::format("undoing {} failed: {}", inject_command(), join(parts)));
  }
  if (parts.empty()) co_return std::string("nothing to undo: no haproxy instance was changed");
  co_return join(parts);
}

asio::awaitable<std::string> RuntimeApiFault::heal_one(const Applied& applied) const {
  auto& instance = *applied.instance;
  if (!instance.running()) {
    co_return fmt::format("{}: not running, nothing to undo", instance.name());
  }
  if (instance.pid() != applied.pid) {
    co_return fmt::format("{}: restarted since the fault, it runs its config's state again",
                          instance.name());
  }
  const std::string command = restore_command(applied.before);
  co_await cli_set(instance, command);
  if (kind_ == Kind::kSetWeight) {
    const WeightReading now = co_await get_weight(instance, key());
    co_return fmt::format("{}: {} (weight {} again)", instance.name(), command, now.current);
  }
  co_return fmt::format("{}: {}", instance.name(), command);
}

}  // namespace lbchaos::faults
