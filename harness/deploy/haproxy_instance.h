#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/observe/master_cli.h"
#include "harness/observe/readiness.h"
#include "harness/observe/syslog_receiver.h"
#include "harness/process/child_process.h"
#include "harness/process/port_reservation.h"
#include "harness/process/run_command.h"
#include "harness/topology/endpoints.h"

namespace lbchaos::deploy {

// Where one frontend bind of an instance should listen: a fixed port, or 0 for ephemeral.
struct BindRequest {
  std::string key;   // frontend name, or the rewrite's bind key for a user config
  std::string host = "127.0.0.1";
  int port = 0;
};

// One haproxy, run in master-worker mode in the foreground (-W -db) with a master CLI, an admin
// stats socket and its logs sent to a harness syslog receiver, all private to the run directory.
class HaproxyInstance {
 public:
  HaproxyInstance(boost::asio::io_context& io, int index, const std::filesystem::path& dir,
                  const std::vector<BindRequest>& binds,
                  std::map<std::string, std::string> environment);

  [[nodiscard]] int index() const { return endpoints_.index; }
  [[nodiscard]] std::string name() const { return "lb" + std::to_string(endpoints_.index); }
  [[nodiscard]] const topology::InstanceEndpoints& endpoints() const { return endpoints_; }
  [[nodiscard]] const std::filesystem::path& config_path() const { return config_path_; }
  [[nodiscard]] const std::filesystem::path& master_socket() const { return master_socket_; }
  [[nodiscard]] const std::filesystem::path& log_file() const { return log_file_; }
  [[nodiscard]] observe::MasterCli master_cli() const { return observe::MasterCli(master_socket_); }
  [[nodiscard]] observe::SyslogReceiver& syslog() { return *syslog_; }
  [[nodiscard]] pid_t pid() const { return child_ ? child_->pid() : -1; }
  [[nodiscard]] bool running() const { return child_ && child_->running(); }
  [[nodiscard]] process::ChildProcess* process() { return child_.get(); }
  // "http://127.0.0.1:PORT" per bind key.
  [[nodiscard]] std::map<std::string, std::string> urls() const;

  void write_config(const std::string& text) const;
  // `haproxy -c -f <config>`: exit 0 accepts it (warnings included).
  boost::asio::awaitable<process::CommandResult> check_config(
      const std::filesystem::path& haproxy, const std::filesystem::path& working_dir) const;

  void start(boost::asio::io_context& io, const std::filesystem::path& haproxy,
             const std::filesystem::path& working_dir);
  boost::asio::awaitable<observe::ReadinessReport> wait_ready(const std::set<std::string>& servers,
                                                              MonoTime deadline,
                                                              std::function<bool()> give_up);
  boost::asio::awaitable<void> stop(std::chrono::nanoseconds grace);
  // The harness is about to end it on purpose: its exit is not news.
  void expect_exit() { stopping_ = true; }
  void close_syslog() { syslog_->close(); }
  [[nodiscard]] bool stopping() const { return stopping_; }
  [[nodiscard]] std::string log_tail(std::size_t max_lines = 12) const;

 private:
  topology::InstanceEndpoints endpoints_;
  std::vector<process::PortReservation> reservations_;
  std::filesystem::path dir_;
  std::filesystem::path config_path_;
  std::filesystem::path master_socket_;
  std::filesystem::path log_file_;
  std::unique_ptr<observe::SyslogReceiver> syslog_;
  std::map<std::string, std::string> environment_;
  std::unique_ptr<process::ChildProcess> child_;
  bool stopping_ = false;
};

}  // namespace lbchaos::deploy
