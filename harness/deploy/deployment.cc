#include "harness/deploy/deployment.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "harness/observe/readiness.h"

namespace lbchaos::deploy {

using namespace std::chrono_literals;

namespace {

constexpr auto kHaproxyStopGrace = 3s;
constexpr auto kNodeStopGrace = 2s;

boost::asio::awaitable<void> wait_one_listening(ServerNode& node, MonoTime deadline,
                                                std::function<bool()> give_up, char& listening) {
  listening = co_await node.wait_listening(deadline, std::move(give_up)) ? 1 : 0;
}

}  // namespace

Deployment::Deployment(boost::asio::io_context& io, topology::Topology topology,
                       process::RunDirectory& run_dir)
    : io_(io), topology_(std::move(topology)), run_dir_(run_dir) {}

Deployment::~Deployment() {
  // Normally shutdown() has run; after an exception this is the last line of defence.
  for (auto& instance : instances_) {
    if (instance->process() != nullptr) instance->process()->signal_group(SIGKILL);
  }
  for (auto& node : nodes_) {
    if (node->process() != nullptr) node->process()->signal_group(SIGKILL);
  }
}

boost::asio::awaitable<void> Deployment::prepare() {
  haproxy_binary_ = process::find_executable(topology_.haproxy.binary);
  config_source_ = ConfigSource::for_topology(topology_);
  warnings_ = config_source_->warnings();
  for (const auto& warning : warnings_) spdlog::warn("{}", warning);

  const RunLayout layout{run_dir_.path(), run_dir_.subdir("nodes"), run_dir_.subdir("logs")};
  topology::ServerTargets targets;
  int index = 0;
  for (auto& spec : config_source_->server_nodes()) {
    auto node = std::make_unique<ServerNode>(std::move(spec), layout, ++index);
    auto proxy = std::make_unique<FaultProxy>(io_, node->key(), node->endpoint());
    targets[node->key()] = proxy->endpoint();
    proxies_.push_back(std::move(proxy));
    server_keys_.insert(node->key());
    nodes_.push_back(std::move(node));
  }
  auto haproxy_environment = layout.environment();
  for (const auto& [name, value] : topology_.haproxy.env) haproxy_environment[name] = value;
  for (int i = 0; i < topology_.haproxy.instances; ++i) {
    instances_.push_back(std::make_unique<HaproxyInstance>(
        io_, i, run_dir_.subdir(fmt::format("lb{}", i)), config_source_->binds(i),
        haproxy_environment));
  }
  for (auto& instance : instances_) {
    instance->write_config(
        config_source_->config_for(instance->endpoints(), targets, instance->config_path()));
    const auto result =
        co_await instance->check_config(haproxy_binary_, config_source_->working_dir());
    if (!result.status.clean()) {
      throw InputError(config_source_->explain_rejection(result.output, instance->config_path()));
    }
  }
}

boost::asio::awaitable<void> Deployment::launch() {
  const MonoTime started = mono_now();
  const MonoTime deadline = started + topology_.haproxy.ready_timeout;
  for (auto& node : nodes_) node->start(io_);
  co_await wait_nodes_listening(deadline);
  timings_.nodes_listening = mono_now() - started;
  for (auto& proxy : proxies_) proxy->start();

  for (auto& instance : instances_) {
    instance->start(io_, haproxy_binary_, config_source_->working_dir());
  }
  co_await wait_frontends_listening(deadline);
  timings_.frontends_listening = mono_now() - started;
  if (!topology_.haproxy.ready_timeout_reason.empty()) {
    spdlog::info("{}: {}", topology_.name, topology_.haproxy.ready_timeout_reason);
  }
  co_await wait_servers_up(deadline);
  timings_.all_servers_up = mono_now() - started;
  spdlog::info("{}: {} server(s) listening after {}, all UP in haproxy after {}", topology_.name,
               nodes_.size(), human_duration(timings_.nodes_listening),
               human_duration(timings_.all_servers_up));
}

// Every node is waited for at once: hundreds of nodes come up in the time of the slowest.
boost::asio::awaitable<void> Deployment::wait_nodes_listening(MonoTime deadline) {
  const auto give_up = [this] { return stop_requested_; };
  std::vector<char> listening(nodes_.size(), 0);
  std::size_t pending = nodes_.size();
  boost::asio::steady_timer all_done(io_, boost::asio::steady_timer::time_point::max());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    boost::asio::co_spawn(
        io_, wait_one_listening(*nodes_[i], deadline, give_up, listening[i]),
        [&pending, &all_done](std::exception_ptr error) {
          if (error) spdlog::error("waiting for a node failed unexpectedly");
          if (--pending == 0) all_done.cancel();
        });
  }
  boost::system::error_code ignored;
  while (pending > 0) {
    co_await all_done.async_wait(
        boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (listening[i] != 0) continue;
    auto& node = nodes_[i];
    const auto status = node->process()->exit_status();
    throw_if_stopping_or(fmt::format(
        "server node {} did not start listening on {}: {}{}", node->key(),
        node->endpoint().to_string(),
        status ? "it exited with " + status->to_string()
               : "not listening after " + human_duration(topology_.haproxy.ready_timeout),
        node->log_tail()));
  }
}

boost::asio::awaitable<void> Deployment::wait_frontends_listening(MonoTime deadline) {
  for (auto& instance : instances_) {
    for (const auto& [key, endpoint] : instance->endpoints().binds) {
      const auto give_up = [this, &instance] { return stop_requested_ || !instance->running(); };
      if (co_await observe::wait_until_accepting(endpoint, deadline, give_up)) continue;
      const auto status = instance->process()->exit_status();
      throw_if_stopping_or(fmt::format(
          "haproxy {} did not start listening on {} (frontend {}): {}{}", instance->name(),
          endpoint.to_string(), key,
          status ? "it exited with " + status->to_string() : "timed out",
          instance->log_tail()));
    }
  }
}

boost::asio::awaitable<void> Deployment::wait_servers_up(MonoTime deadline) {
  std::set<std::string> expected = server_keys_;
  for (const auto& key : config_source_->disabled_servers()) expected.erase(key);
  for (auto& instance : instances_) {
    const auto report = co_await instance->wait_ready(expected, deadline,
                                                      [this] { return stop_requested_; });
    if (report.ready) continue;
    if (const auto status = instance->process()->exit_status()) {
      throw_if_stopping_or(fmt::format("haproxy {} exited during start-up with {}{}",
                                       instance->name(), status->to_string(),
                                       instance->log_tail()));
    }
    std::set<std::string> down = expected;
    for (const auto& row : report.servers) {
      if (row.up_and_checked()) down.erase(row.key());
    }
    throw_if_stopping_or(fmt::format(
        "haproxy {}: not every server was UP within {} (ready_timeout):{}{}", instance->name(),
        human_duration(topology_.haproxy.ready_timeout),
        report.describe_not_ready(expected), config_source_->readiness_hint(down)));
  }
}

void Deployment::throw_if_stopping_or(const std::string& failure) const {
  if (stop_requested_) throw Interrupted();
  throw EnvironmentError(failure);
}

boost::asio::awaitable<void> Deployment::shutdown() {
  if (shut_down_) co_return;
  shut_down_ = true;
  // haproxy first, so it does not see (and log) every server going down. Signal everything
  // at once, then collect: a slow node costs one grace period, not one each.
  for (auto& instance : instances_) {
    instance->expect_exit();
    if (instance->process() != nullptr) instance->process()->signal_group(SIGTERM);
  }
  for (auto& instance : instances_) co_await instance->stop(kHaproxyStopGrace);
  for (auto& proxy : proxies_) proxy->close();
  for (auto& node : nodes_) {
    node->expect_exit();
    if (node->process() != nullptr) node->process()->signal_group(SIGTERM);
  }
  for (auto& node : nodes_) co_await node->stop(kNodeStopGrace);
  for (auto& instance : instances_) instance->close_syslog();
}

ServerNode* Deployment::find_node(std::string_view key) {
  for (auto& node : nodes_) {
    if (node->key() == key) return node.get();
  }
  return nullptr;
}

FaultProxy* Deployment::proxy_for(std::string_view server_key) {
  for (auto& proxy : proxies_) {
    if (proxy->name() == server_key) return proxy.get();
  }
  return nullptr;
}

nlohmann::json Deployment::describe() const {
  nlohmann::json out;
  out["topology"] = topology_.name;
  out["topology_file"] = topology_.file.string();
  out["run_dir"] = run_dir_.path().string();
  out["haproxy"] = haproxy_binary_.string();
  auto& instances = out["instances"] = nlohmann::json::array();
  for (const auto& instance : instances_) {
    instances.push_back({{"name", instance->name()},
                         {"index", instance->index()},
                         {"pid", instance->pid()},
                         {"frontends", instance->urls()},
                         {"metrics_url", "http://" + instance->endpoints().metrics.to_string() + "/metrics"},
                         {"stats_socket", instance->endpoints().stats_socket.string()},
                         {"master_socket", instance->master_socket().string()},
                         {"config", instance->config_path().string()},
                         {"log", instance->log_file().string()}});
  }
  auto& nodes = out["nodes"] = nlohmann::json::array();
  for (std::size_t index = 0; index < nodes_.size(); ++index) {
    const auto& node = nodes_[index];
    nlohmann::json entry{{"name", node->key()},
                         {"kind", node->is_builtin() ? "builtin" : "command"},
                         {"pid", node->pid()},
                         {"address", node->endpoint().to_string()},
                         {"proxy_address", proxies_[index]->endpoint().to_string()},
                         {"log", node->log_file().string()}};
    if (node->is_builtin()) entry["control_socket"] = node->control_socket().string();
    nodes.push_back(std::move(entry));
  }
  const auto ms = [](std::chrono::nanoseconds d) {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  out["startup_ms"] = {{"nodes_listening", ms(timings_.nodes_listening)},
                       {"frontends_listening", ms(timings_.frontends_listening)},
                       {"all_servers_up", ms(timings_.all_servers_up)}};
  return out;
}

}  // namespace lbchaos::deploy
