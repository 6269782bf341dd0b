#include "harness/deploy/haproxy_instance.h"

#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "harness/common/errors.h"
#include "harness/deploy/log_tail.h"

namespace lbchaos::deploy {

using namespace std::chrono_literals;

HaproxyInstance::HaproxyInstance(boost::asio::io_context& io, int index,
                                 const std::filesystem::path& dir,
                                 const std::vector<BindRequest>& binds,
                                 std::map<std::string, std::string> environment)
    : dir_(dir),
      config_path_(dir / "haproxy.cfg"),
      master_socket_(dir / "master.sock"),
      log_file_(dir / "haproxy.log"),
      syslog_(std::make_unique<observe::SyslogReceiver>(io, index, dir / "syslog.log")),
      environment_(std::move(environment)) {
  endpoints_.index = index;
  endpoints_.stats_socket = dir / "stats.sock";
  for (const auto& bind : binds) {
    auto& reservation = reservations_.emplace_back(
        bind.port == 0 ? process::PortReservation(bind.host)
                       : process::PortReservation(bind.host, bind.port));
    endpoints_.binds[bind.key] = topology::Endpoint{bind.host, reservation.port()};
  }
  auto& metrics = reservations_.emplace_back(process::PortReservation("127.0.0.1"));
  endpoints_.metrics = topology::Endpoint{"127.0.0.1", metrics.port()};
  endpoints_.syslog = topology::Endpoint{"127.0.0.1", syslog_->port()};
  boost::asio::co_spawn(io, syslog_->run(), boost::asio::detached);
}

std::map<std::string, std::string> HaproxyInstance::urls() const {
  std::map<std::string, std::string> urls;
  for (const auto& [key, endpoint] : endpoints_.binds) {
    urls[key] = "http://" + endpoint.to_string();
  }
  return urls;
}

void HaproxyInstance::write_config(const std::string& text) const {
  std::ofstream out(config_path_, std::ios::trunc);
  out << text;
  if (!out.flush()) {
    throw EnvironmentError(fmt::format("cannot write {}", config_path_.string()));
  }
  ::chmod(config_path_.c_str(), 0600);
}

boost::asio::awaitable<process::CommandResult> HaproxyInstance::check_config(
    const std::filesystem::path& haproxy, const std::filesystem::path& working_dir) const {
  std::vector<std::string> args{"-c", "-f", config_path_.string()};
  co_return co_await process::run_to_completion(haproxy, std::move(args), working_dir,
                                                dir_ / "check.log", 30s, environment_);
}

void HaproxyInstance::start(boost::asio::io_context& io, const std::filesystem::path& haproxy,
                            const std::filesystem::path& working_dir) {
  stopping_ = false;
  child_ = std::make_unique<process::ChildProcess>(
      io, process::SpawnSpec{haproxy,
                             {"-W", "-db", "-f", config_path_.string(), "-S",
                              master_socket_.string() + ",mode,600"},
                             working_dir,
                             log_file_,
                             environment_});
  child_->on_exit([this](const process::ExitStatus& status) {
    if (!stopping_) spdlog::warn("haproxy {} (pid {}) exited: {}", name(), pid(), status.to_string());
  });
}

boost::asio::awaitable<observe::ReadinessReport> HaproxyInstance::wait_ready(
    const std::set<std::string>& servers, MonoTime deadline, std::function<bool()> give_up) {
  co_return co_await observe::wait_servers_up(
      endpoints_.stats_socket, servers, deadline,
      [this, give_up = std::move(give_up)] { return !running() || give_up(); });
}

boost::asio::awaitable<void> HaproxyInstance::stop(std::chrono::nanoseconds grace) {
  if (!child_) co_return;
  stopping_ = true;
  co_await child_->stop(grace);
}

std::string HaproxyInstance::log_tail(std::size_t max_lines) const {
  return read_log_tail(log_file_, max_lines);
}

}  // namespace lbchaos::deploy
