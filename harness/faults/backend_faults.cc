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

#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/backend/control_client.h"
#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"
#include "harness/faults/families.h"
#include "harness/faults/node_restart.h"

namespace lbchaos::faults {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kControlTimeout = 2000ms;
// A crashing node has exited by the time its control socket refuses us; this is for the reap.
constexpr auto kCrashReapTimeout = 2s;

enum class Kind { kErrors, kSlow, kHang, kHealthFail, kOverload };

const std::map<std::string, Kind, std::less<>> kActions{
    {"errors", Kind::kErrors},
    {"slow", Kind::kSlow},
    {"hang", Kind::kHang},
    {"health_fail", Kind::kHealthFail},
    {"overload", Kind::kOverload},
};

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

Settings validated_settings(Kind kind, const scenario::FaultSpec& spec) {
  const auto& p = spec.params;
  const auto fail = [&](const std::string& message) { throw InputError(spec.where, message); };
  Settings s;
  switch (kind) {
    case Kind::kErrors:
      if (!p.ratio || !(*p.ratio >= 0.0 && *p.ratio <= 1.0)) {
        fail("errors needs ratio = 0..1 (the share of requests answered with `status`)");
      }
      if (p.status < 400 || p.status > 599) {
        fail(fmt::format("errors: status must be 400..599, found {}", p.status));
      }
      s.ratio = *p.ratio;
      s.status = p.status;
      break;
    case Kind::kSlow:
      if (!p.delay || p.delay->count() <= 0) {
        fail("slow needs delay = a duration added to every request, like \"200ms\"");
      }
      s.delay = *p.delay;
      break;
    case Kind::kOverload:
      if (!p.max_inflight || *p.max_inflight < 1) {
        fail("overload needs max_inflight >= 1 (requests in service at once)");
      }
      s.max_inflight = *p.max_inflight;
      s.crash = p.crash;
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

}  // namespace

bool is_backend_action(std::string_view action) { return kActions.count(action) != 0; }

std::unique_ptr<Fault> make_backend_fault(const scenario::FaultSpec& spec,
                                          deploy::Deployment& deployment) {
  const auto kind = kActions.find(spec.action);
  if (kind == kActions.end()) return nullptr;
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
  return std::make_unique<BackendFault>(kind->second, validated_settings(kind->second, spec),
                                        *node, deployment.io());
}

}  // namespace lbchaos::faults
