#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/deploy/config_source.h"
#include "harness/deploy/fault_proxy.h"
#include "harness/deploy/haproxy_instance.h"
#include "harness/deploy/server_node.h"
#include "harness/process/run_directory.h"
#include "harness/topology/model.h"

namespace lbchaos::deploy {

// The user asked to stop (Ctrl-C, SIGTERM) while the deployment was starting.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// How long each start-up phase took, from the start of launch() (for `up` and the benchmark).
struct StartupTimings {
  std::chrono::nanoseconds nodes_listening{0};
  std::chrono::nanoseconds frontends_listening{0};
  std::chrono::nanoseconds all_servers_up{0};
};

// A topology brought to life: every server node and haproxy instance of one run, on one
// io_context. Lifecycle: prepare() (plan, reserve ports, write configs, `haproxy -c`; nothing
// is started) -> launch() (start nodes, then haproxy; wait until haproxy reports every server
// UP) -> shutdown() (haproxy first, then nodes; signal, grace, SIGKILL). shutdown() is safe to
// call at any point and more than once; destroying a Deployment SIGKILLs whatever still runs.
class Deployment {
 public:
  Deployment(boost::asio::io_context& io, topology::Topology topology,
             process::RunDirectory& run_dir);
  ~Deployment();
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;

  // Throws InputError (a config haproxy refuses) or EnvironmentError (haproxy missing, no port).
  boost::asio::awaitable<void> prepare();
  // Throws EnvironmentError naming what did not start or become ready, or Interrupted.
  boost::asio::awaitable<void> launch();
  boost::asio::awaitable<void> shutdown();
  // Makes a launch() in progress give up (it throws Interrupted).
  void request_stop() { stop_requested_ = true; }

  [[nodiscard]] boost::asio::io_context& io() { return io_; }
  [[nodiscard]] const topology::Topology& topology() const { return topology_; }
  [[nodiscard]] const process::RunDirectory& run_dir() const { return run_dir_; }
  [[nodiscard]] std::vector<std::unique_ptr<ServerNode>>& nodes() { return nodes_; }
  [[nodiscard]] std::vector<std::unique_ptr<HaproxyInstance>>& instances() { return instances_; }
  [[nodiscard]] ServerNode* find_node(std::string_view key);
  // The fault proxy between haproxy and server `server_key` ("app/web1"); nullptr if none.
  [[nodiscard]] FaultProxy* proxy_for(std::string_view server_key);
  [[nodiscard]] const std::set<std::string>& server_keys() const { return server_keys_; }
  [[nodiscard]] const std::filesystem::path& haproxy_binary() const { return haproxy_binary_; }
  [[nodiscard]] const StartupTimings& startup_timings() const { return timings_; }
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }

  // What `up --ready-file` writes: frontend URLs per instance, nodes and pids, sockets.
  [[nodiscard]] nlohmann::json describe() const;

 private:
  boost::asio::awaitable<void> wait_nodes_listening(MonoTime deadline);
  boost::asio::awaitable<void> wait_frontends_listening(MonoTime deadline);
  boost::asio::awaitable<void> wait_servers_up(MonoTime deadline);
  [[noreturn]] void throw_if_stopping_or(const std::string& failure) const;

  boost::asio::io_context& io_;
  topology::Topology topology_;
  process::RunDirectory& run_dir_;
  std::unique_ptr<ConfigSource> config_source_;
  std::filesystem::path haproxy_binary_;
  std::vector<std::unique_ptr<ServerNode>> nodes_;
  std::vector<std::unique_ptr<FaultProxy>> proxies_;  // one per node: haproxy connects to these
  std::vector<std::unique_ptr<HaproxyInstance>> instances_;
  std::set<std::string> server_keys_;
  std::vector<std::string> warnings_;
  StartupTimings timings_;
  bool stop_requested_ = false;
  bool shut_down_ = false;
};

}  // namespace lbchaos::deploy
