#include "faults/lb_control.h"

#include <signal.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <set>
#include <vector>

#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "harness/observe/readiness.h"

namespace lbchaos::faults {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kPollInterval = 20ms;
constexpr auto kStillServingTimeout = 1s;
constexpr std::size_t kMaxAlertLines = 4;

asio::awaitable<void> pause(std::chrono::nanoseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor, interval);
  co_await timer.async_wait(asio::use_awaitable);
}

bool contains(const std::vector<int>& pids, int pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Every frontend of the instance accepts connections (within `timeout`).
asio::awaitable<bool> frontends_accept(deploy::HaproxyInstance& instance,
                                       std::chrono::nanoseconds timeout) {
  const MonoTime deadline = mono_now() + timeout;
  for (const auto& [key, endpoint] : instance.endpoints().binds) {
    if (!co_await observe::wait_until_accepting(endpoint, deadline, [] { return false; })) {
      co_return false;
    }
  }
  co_return true;
}

}  // namespace

std::filesystem::path haproxy_working_dir(const topology::Topology& topology) {
  // As deploy::ConfigSource::working_dir() says for the two kinds of config.
  return topology.haproxy.config ? topology.haproxy.config->parent_path()
                                 : topology.file.parent_path();
}

asio::awaitable<std::string> start_serving(deploy::Deployment& deployment,
                                           deploy::HaproxyInstance& instance) {
  const MonoTime started = mono_now();
  instance.start(deployment.io(), deployment.haproxy_binary(),
                 haproxy_working_dir(deployment.topology()));
  co_await wait_serving(deployment, instance,
                        started + deployment.topology().haproxy.ready_timeout);
  co_return fmt::format("pid {}, serving after {}", instance.pid(),
                        human_duration(mono_now() - started));
}

asio::awaitable<void> wait_serving(deploy::Deployment& deployment,
                                   deploy::HaproxyInstance& instance, MonoTime deadline) {
  for (const auto& [key, endpoint] : instance.endpoints().binds) {
    const auto died = [&instance] { return !instance.running(); };
    if (co_await observe::wait_until_accepting(endpoint, deadline, died)) continue;
    const auto status =
        instance.process() != nullptr ? instance.process()->exit_status() : std::nullopt;
    throw EnvironmentError(fmt::format(
        "haproxy {} does not serve frontend {} on {}: {}{}", instance.name(), key,
        endpoint.to_string(),
        status ? "it exited with " + status->to_string() : "not accepting connections",
        instance.log_tail()));
  }
  // A server whose node another fault has stopped cannot come UP: only the running ones count.
  std::set<std::string> expected;
  for (const auto& node : deployment.nodes()) {
    if (node->running()) expected.insert(node->key());
  }
  const auto report = co_await instance.wait_ready(expected, deadline, [] { return false; });
  if (!report.ready) {
    throw EnvironmentError(fmt::format("haproxy {}: not every server was UP within {}:{}",
                                       instance.name(),
                                       human_duration(deployment.topology().haproxy.ready_timeout),
                                       report.describe_not_ready(expected)));
  }
}

asio::awaitable<ReloadOutcome> reload_and_observe(deploy::HaproxyInstance& instance,
                                                  std::chrono::nanoseconds timeout) {
  const auto cli = instance.master_cli();
  const auto log_offset = file_size_or_zero(instance.log_file());
  const auto before = co_await cli.show_proc();
  ReloadOutcome outcome;
  outcome.requested = mono_now();
  co_await cli.reload();

  const MonoTime deadline = outcome.requested + timeout;
  std::optional<observe::ProcessList> after;
  std::string last_error;
  while (!after) {
    try {
      auto list = co_await cli.show_proc();
      if (list.reloads > before.reloads) after = std::move(list);
    } catch (const std::exception& e) {
      last_error = e.what();  // the master is re-executing itself: its socket comes back
    }
    if (after) break;
    if (mono_now() >= deadline) {
      throw EnvironmentError(fmt::format(
          "haproxy {}: the master did not finish the reload within {} ({}){}", instance.name(),
          human_duration(timeout), last_error.empty() ? "its reload count never grew" : last_error,
          instance.log_tail()));
    }
    co_await pause(kPollInterval);
  }

  std::vector<int> started;
  std::vector<int> kept;
  for (const int pid : after->worker_pids) {
    if (!contains(before.worker_pids, pid)) started.push_back(pid);
  }
  for (const int pid : before.worker_pids) {
    if (contains(after->worker_pids, pid) && ::kill(pid, 0) == 0) kept.push_back(pid);
  }
  outcome.accepted = !started.empty();
  if (outcome.accepted) {
    outcome.detail = fmt::format("accepted: new worker {} runs the new config",
                                 fmt::join(started, ", "));
    co_return outcome;
  }
  const bool serving = !kept.empty() && co_await frontends_accept(instance, kStillServingTimeout);
  outcome.old_worker_kept = serving && after->failed_reloads > 0;
  const std::string alerts = alerts_since(instance.log_file(), log_offset);
  outcome.detail = fmt::format(
      "refused (failed reloads: {}); {}{}", after->failed_reloads,
      serving ? fmt::format("worker {} still serves the previous config", fmt::join(kept, ", "))
              : std::string("the previous worker no longer serves"),
      alerts.empty() ? "" : ": " + alerts);
  co_return outcome;
}

std::string read_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in.is_open()) throw EnvironmentError(fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uintmax_t file_size_or_zero(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : size;
}

std::string alerts_since(const std::filesystem::path& log, std::uintmax_t offset) {
  std::ifstream in(log);
  in.seekg(static_cast<std::streamoff>(offset));
  std::vector<std::string> alerts;
  for (std::string line; std::getline(in, line);) {
    // "Fatal errors found" and "Error(s) found in configuration file" say nothing new.
    if (line.find("[ALERT]") == std::string::npos ||
        line.find("Error(s) found in configuration file") != std::string::npos ||
        line.find("Fatal errors found in configuration") != std::string::npos) {
      continue;
    }
    if (alerts.size() < kMaxAlertLines) alerts.push_back(line);
  }
  return fmt::format("{}", fmt::join(alerts, " | "));
}

}  // namespace lbchaos::faults
