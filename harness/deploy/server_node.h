#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "harness/common/clock.h"
#include "harness/process/child_process.h"
#include "harness/process/port_reservation.h"
#include "harness/topology/endpoints.h"
#include "harness/topology/model.h"

namespace lbchaos::deploy {

// Where a run keeps its nodes' files. Every process of the run carries
// LBCHAOS_RUN_DIR=<run_dir> in its environment, so it can be found (and proven gone).
struct RunLayout {
  std::filesystem::path run_dir;
  std::filesystem::path nodes_dir;  // control sockets
  std::filesystem::path logs_dir;   // one log per node

  [[nodiscard]] std::map<std::string, std::string> environment() const {
    return {{"LBCHAOS_RUN_DIR", run_dir.string()}};
  }
};

// What to run for one haproxy `server`: the topology's description of it (or the defaults for
// a server only the user's haproxy.cfg names) and the health path haproxy will check.
struct ServerNodeSpec {
  std::string backend;
  std::string server;
  topology::Server settings;
  std::string health_path = "/health";
  std::filesystem::path working_dir;  // command backends run here (the topology's folder)
  // Built-in backend: what its health endpoint answers while healthy, and its persona
  // ("http", or a TCP persona with the config's tcp-check script).
  int health_status = 200;
  std::string health_body = "ok\n";
  std::string protocol = "http";
  std::vector<std::pair<std::string, std::string>> tcp_script;
};

// A backend server process the harness owns: the built-in backend (`lbchaos backend`) or the
// user's command. Its port is reserved for the whole run, so a restart gets the same address.
class ServerNode {
 public:
  ServerNode(ServerNodeSpec spec, const RunLayout& layout, int index);

  [[nodiscard]] std::string key() const { return topology::server_key(spec_.backend, spec_.server); }
  [[nodiscard]] const ServerNodeSpec& spec() const { return spec_; }
  [[nodiscard]] bool is_builtin() const { return spec_.settings.is_builtin(); }
  [[nodiscard]] topology::Endpoint endpoint() const { return endpoint_; }
  [[nodiscard]] const std::filesystem::path& control_socket() const { return control_socket_; }
  [[nodiscard]] const std::filesystem::path& log_file() const { return log_file_; }
  [[nodiscard]] pid_t pid() const { return child_ ? child_->pid() : -1; }
  [[nodiscard]] bool running() const { return child_ && child_->running(); }
  [[nodiscard]] process::ChildProcess* process() { return child_.get(); }

  // Spawns the process (again, after a stop). Throws EnvironmentError.
  void start(boost::asio::io_context& io);
  // Waits until the node accepts TCP connections; false if it died or the deadline passed.
  boost::asio::awaitable<bool> wait_listening(MonoTime deadline, std::function<bool()> give_up);
  boost::asio::awaitable<void> stop(std::chrono::nanoseconds grace);
  // The harness is about to end the node on purpose (a fault): its exit is not news.
  void expect_exit() { stopping_ = true; }
  // True while the harness itself is stopping the node (its exit is then not news).
  [[nodiscard]] bool stopping() const { return stopping_; }

  // The last lines of the node's log, to explain why it did not start.
  [[nodiscard]] std::string log_tail(std::size_t max_lines = 8) const;

 private:
  [[nodiscard]] process::SpawnSpec spawn_spec() const;

  ServerNodeSpec spec_;
  process::PortReservation reservation_;
  topology::Endpoint endpoint_;
  std::filesystem::path control_socket_;
  std::filesystem::path log_file_;
  std::map<std::string, std::string> environment_;
  std::unique_ptr<process::ChildProcess> child_;
  bool stopping_ = false;
};

}  // namespace lbchaos::deploy
