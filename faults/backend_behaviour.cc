// errors, slow, hang, health_fail and overload: a built-in backend's behaviour changed through
// its control socket (protocol in harness/backend/behaviour.h), and changed back exactly.
//
// "Exact undo": before injecting, the fault reads the node's behaviour (`get`) and heal sets
// the setting it changed back to what was read, not to a default: `set errors <ratio> <status>`,
// `set latency <added>`, `set hang on|off`, `set health_fail on|off`, `set overload <max>
// <policy>`. Only that one setting: another fault may hold the others. An overload with
// crash = true may end the node; heal then starts it again and, since a new process starts
// from the topology's settings, puts back every setting it read before the fault.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faults/backend_behaviour.h"
#include "faults/node_restart.h"
#include "harness/backend/control_client.h"
#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"

namespace lbchaos::faults {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kControlTimeout = 2000ms;
// A crashing node has exited by the time its control socket refuses us; this is for the reap.
constexpr auto kCrashReapTimeout = 2s;

// In the order of kActions.
enum class Kind { kErrors, kSlow, kHang, kHealthFail, kOverload };

constexpr std::array<ParamInfo, 2> kErrorsParams{{
    {.key = "ratio", .type = ParamType::kRatio,
     .meaning = "share of requests answered with `status` (\"25%\" or 0.25)",
     .example = "ratio = \"25%\""},
    {.key = "status", .type = ParamType::kInteger, .meaning = "the HTTP status of those answers",
     .default_toml = "500", .min = 500, .max = 599},
}};
constexpr std::array<ParamInfo, 1> kSlowParams{{
    {.key = "delay", .type = ParamType::kPositiveDuration,
     .meaning = "added to every request", .example = "delay = \"500ms\"",
     .journal_key = "delay_s"},
}};
constexpr std::array<ParamInfo, 2> kOverloadParams{{
    {.key = "max_inflight", .type = ParamType::kInteger,
     .meaning = "requests in service at once", .example = "max_inflight = 4", .min = 1},
    {.key = "crash", .type = ParamType::kBool, .meaning = "exit when overloaded",
     .default_toml = "false"},
}};
constexpr std::array<EffectRule, 1> kFailsAtOnce{{{scenario::kChecksFailAtOnce}}};
constexpr std::array<EffectRule, 1> kHangs{{{scenario::kChecksHang}}};

constexpr std::array<ActionInfo, 5> kActions{{
    {.name = "errors", .params = kErrorsParams,
     .summary = "answer a share of requests with a 5xx status"},
    {.name = "slow", .params = kSlowParams, .summary = "add a delay to every request"},
    {.name = "hang", .random_may_draw = true, .effects = kHangs,
     .summary = "accept requests and never answer (health checks time out)"},
    {.name = kHealthFailAction, .random_may_draw = true, .effects = kFailsAtOnce,
     .summary = "fail health checks, keep serving traffic"},
    {.name = "overload", .params = kOverloadParams,
     .summary = "lower the concurrency limit (optionally crash when over it)"},
}};

// A duration the control protocol parses back exactly: "200ms", "1500us", "7ns".
std::string spell(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

std::string_view on_off(bool on) { return on ? "on" : "off"; }

// The behaviour settings of a `get` reply (counters left out).
struct Behaviour {
  Duration added_latency{};
  double error_ratio = 0;
  int error_status = 500;
  bool hang = false;
  bool health_fail = false;
  int max_inflight = 1;
  std::string overload = "queue";

  [[nodiscard]] std::string errors_command() const {
    // {} is the shortest spelling that reads back as the same double.
    return fmt::format("set errors {} {}", error_ratio, error_status);
  }
  [[nodiscard]] std::string latency_command() const {
    return fmt::format("set latency {}", spell(added_latency));
  }
  [[nodiscard]] std::string hang_command() const {
    return fmt::format("set hang {}", on_off(hang));
  }
  [[nodiscard]] std::string health_fail_command() const {
    return fmt::format("set health_fail {}", on_off(health_fail));
  }
  [[nodiscard]] std::string overload_command() const {
    return fmt::format("set overload {} {}", max_inflight, overload);
  }
  // Every setting, for a node that starts from scratch.
  [[nodiscard]] std::vector<std::string> all_commands() const {
    return {errors_command(), latency_command(), hang_command(), health_fail_command(),
            overload_command()};
  }
};

Behaviour parse_behaviour(const std::string& key, const std::string& reply) {
  try {
    const auto json = nlohmann::json::parse(reply);
    Behaviour b;
    b.added_latency = Duration(std::llround(json.at("added_latency_ms").get<double>() * 1e6));
    b.error_ratio = json.at("error_ratio").get<double>();
    b.error_status = json.at("error_status").get<int>();
    b.hang = json.at("hang").get<bool>();
    b.health_fail = json.at("health_fail").get<bool>();
    b.max_inflight = json.at("max_inflight").get<int>();
    b.overload = json.at("overload").get<std::string>();
    return b;
  } catch (const nlohmann::json::exception& e) {
    throw EnvironmentError(
        fmt::format("backend {} answered '{}' to 'get': {}", key, reply, e.what()));
  }
}

// The fault's own parameters, checked before anything is sent.
struct Settings {
  double ratio = 0;
  int status = 500;
  Duration delay{};
  int max_inflight = 1;
  bool crash = false;
};

// The typed parameters of the action, as the catalogue read them (bounds checked there).
Settings settings_for(Kind kind, const FaultSpec& spec) {
  Settings s;
  switch (kind) {
    case Kind::kErrors:
      s.ratio = spec.param<double>("ratio").value_or(0);
      s.status = static_cast<int>(spec.param<std::int64_t>("status").value_or(500));
      break;
    case Kind::kSlow:
      s.delay = spec.param<Duration>("delay").value_or(Duration{0});
      break;
    case Kind::kOverload:
      s.max_inflight = static_cast<int>(spec.param<std::int64_t>("max_inflight").value_or(1));
      s.crash = spec.param<bool>("crash").value_or(false);
      break;
    case Kind::kHang:
    case Kind::kHealthFail:
      break;
  }
  return s;
}

class BackendFault : public Fault {
 public:
  BackendFault(Kind kind, Settings settings, deploy::ServerNode& node, asio::io_context& io)
      : kind_(kind), settings_(settings), node_(node), io_(io) {}

  asio::awaitable<std::string> inject() override {
    before_ = parse_behaviour(node_.key(), co_await control("get"));
    const std::string command = inject_command(*before_);
    co_await set(command);
    co_return fmt::format("{} on {}; its undo: {}", command, node_.key(),
                          restore_command(*before_));
  }

  asio::awaitable<std::string> heal() override {
    if (!before_) co_return std::string("nothing to undo: the backend was not changed");
    if (kind_ == Kind::kOverload && settings_.crash) co_return co_await heal_crashable();
    const std::string command = restore_command(*before_);
    co_await set(command);
    co_return fmt::format("{} on {}", command, node_.key());
  }

 private:
  [[nodiscard]] std::string inject_command(const Behaviour& before) const {
    Behaviour after = before;
    switch (kind_) {
      case Kind::kErrors:
        after.error_ratio = settings_.ratio;
        after.error_status = settings_.status;
        break;
      case Kind::kSlow:
        after.added_latency = settings_.delay;
        break;
      case Kind::kHang:
        after.hang = true;
        break;
      case Kind::kHealthFail:
        after.health_fail = true;
        break;
      case Kind::kOverload:
        after.max_inflight = settings_.max_inflight;
        // Without crash the node keeps its own overload policy (queue or reject), as the
        // topology describes it; a node that would crash queues instead.
        if (settings_.crash) {
          after.overload = "crash";
        } else if (after.overload == "crash") {
          after.overload = "queue";
        }
        break;
    }
    return command_for(after);
  }

  [[nodiscard]] std::string restore_command(const Behaviour& before) const {
    return command_for(before);
  }

  // The one command that sets this fault's setting to `b`'s value.
  [[nodiscard]] std::string command_for(const Behaviour& b) const {
    switch (kind_) {
      case Kind::kErrors: return b.errors_command();
      case Kind::kSlow: return b.latency_command();
      case Kind::kHang: return b.hang_command();
      case Kind::kHealthFail: return b.health_fail_command();
      case Kind::kOverload: return b.overload_command();
    }
    return {};
  }

  // The node may have crashed (overload with crash = true): then start it again.
  asio::awaitable<std::string> heal_crashable() {
    const std::string command = restore_command(*before_);
    std::string failure;
    if (node_.running()) {
      try {
        co_await set(command);
        co_return fmt::format("{} on {} (it did not crash)", command, node_.key());
      } catch (const EnvironmentError& e) {
        failure = e.what();
      }
      // The control socket failed: a crash not reaped yet, or a live node that cannot be healed.
      if (!co_await node_.process()->wait_exit(kCrashReapTimeout)) throw EnvironmentError(failure);
    }
    const auto status = node_.process()->exit_status();
    const std::string exited = status ? status->to_string() : std::string("unknown status");
    const std::string started = co_await start_node_again(node_, io_);
    for (const auto& restore : before_->all_commands()) co_await set(restore);
    co_return fmt::format("{} had exited ({}); {} and set its behaviour back: {}", node_.key(),
                          exited, started, fmt::join(before_->all_commands(), ", "));
  }

  asio::awaitable<std::string> control(std::string command) const {
    try {
      co_return co_await backend::control_request(node_.control_socket(), command,
                                                  kControlTimeout);
    } catch (const std::runtime_error& e) {
      throw EnvironmentError(fmt::format("backend {}: {}", node_.key(), e.what()));
    }
  }

  asio::awaitable<void> set(std::string command) const {
    const std::string reply = co_await control(command);
    if (reply != "ok") {
      throw EnvironmentError(
          fmt::format("backend {} answered '{}' to '{}'", node_.key(), reply, command));
    }
  }

  Kind kind_;
  Settings settings_;
  deploy::ServerNode& node_;
  asio::io_context& io_;
  std::optional<Behaviour> before_;
};

std::unique_ptr<Fault> make(const FaultSpec& spec, deploy::Deployment& deployment) {
  const auto kind = static_cast<Kind>(
      std::find_if(kActions.begin(), kActions.end(),
                   [&](const ActionInfo& a) { return a.name == spec.action; }) -
      kActions.begin());
  deploy::ServerNode* node = deployment.find_node(spec.target);
  if (node == nullptr) {
    throw InputError(spec.where,
                     fmt::format("fault target {} is not a server of this run", spec.target));
  }
  if (!node->is_builtin()) {
    throw InputError(spec.where, fmt::format("{} needs a built-in backend; {} is a command "
                                             "backend",
                                             spec.action, spec.target));
  }
  return std::make_unique<BackendFault>(kind, settings_for(kind, spec), *node, deployment.io());
}

}  // namespace

const Family kBackendBehaviourFamily{
    .name = "backend behaviour", .actions = kActions, .make = &make};

}  // namespace lbchaos::faults
