#include "harness/alerting/monitoring_node.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "harness/common/errors.h"
#include "harness/deploy/log_tail.h"
#include "harness/observe/http_request.h"

namespace lbchaos::alerting {

using namespace std::chrono_literals;

namespace {
constexpr auto kReadyPollInterval = 100ms;
constexpr auto kReadyRequestTimeout = 1s;
}  // namespace

std::filesystem::path find_debian_binary(const std::string& name, std::string_view debian_package) {
  try {
    return process::find_executable(name);
  } catch (const EnvironmentError& e) {
    if (name.find('/') != std::string::npos) throw;  // the user's explicit path: say just that
    throw EnvironmentError(
        fmt::format("{} not found in PATH; Debian's package {} installs it "
                    "(apt-get install {}, or run scripts/setup.sh)",
                    name, debian_package, debian_package));
  }
}

MonitoringNode::MonitoringNode(std::string name, std::filesystem::path executable,
                               std::filesystem::path dir,
                               std::map<std::string, std::string> environment)
    : name_(std::move(name)),
      executable_(std::move(executable)),
      dir_(std::move(dir)),
      log_file_(dir_ / (name_ + ".log")),
      environment_(std::move(environment)),
      reservation_("127.0.0.1"),
      endpoint_{"127.0.0.1", reservation_.port()} {}

void MonitoringNode::start(boost::asio::io_context& io, std::vector<std::string> args) {
  // Go's listener does not set SO_REUSEPORT: the port must be free for it to bind.
  reservation_.release();
  stopping_ = false;
  child_ = std::make_unique<process::ChildProcess>(
      io, process::SpawnSpec{executable_, std::move(args), dir_, log_file_, environment_});
  child_->on_exit([this](const process::ExitStatus& status) {
    if (!stopping_) spdlog::warn("{} (pid {}) exited: {}", name_, pid(), status.to_string());
  });
}

boost::asio::awaitable<void> MonitoringNode::wait_ready(MonoTime deadline) {
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  std::string last;
  while (true) {
    if (!running()) {
      const auto status = child_ ? child_->exit_status() : std::nullopt;
      throw EnvironmentError(failure(fmt::format("exited before it was ready ({})",
                                                 status ? status->to_string() : "never started")));
    }
    const auto response =
        co_await observe::http_request(endpoint_, "/-/ready", kReadyRequestTimeout);
    if (response.ok && response.status == 200) co_return;
    last = response.ok ? fmt::format("HTTP {}", response.status) : response.error;
    if (mono_now() + kReadyPollInterval > deadline) {
      throw EnvironmentError(
          failure(fmt::format("was not ready at http://{}/-/ready in time "
                              "(last answer: {})",
                              endpoint_.to_string(), last)));
    }
    pause.expires_after(kReadyPollInterval);
    boost::system::error_code ignored;
    co_await pause.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
}

boost::asio::awaitable<void> MonitoringNode::stop(std::chrono::nanoseconds grace) {
  if (!child_) co_return;
  stopping_ = true;
  co_await child_->stop(grace);
}

std::optional<std::string> MonitoringNode::died() const {
  if (!child_ || stopping_) return std::nullopt;
  const auto status = child_->exit_status();
  if (!status) return std::nullopt;
  return fmt::format("{} (pid {}) exited: {}", name_, pid(), status->to_string());
}

std::string MonitoringNode::failure(std::string_view what) const {
  const auto tail = deploy::read_log_tail(log_file_, 12);
  return fmt::format("{} (pid {}) {}; its log {}{}", name_, pid(), what, log_file_.string(),
                     tail.empty() ? " is empty" : " ends with:" + tail);
}

}  // namespace lbchaos::alerting
