#include "harness/observe/readiness.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <map>
#include <memory>

#include "harness/observe/unix_cli.h"

namespace lbchaos::observe {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kPollInterval = 20ms;
// One connection attempt's bound. A listener that never accepts (another program holding the
// port, a paused process) fills its backlog, and then the kernel drops the SYN and retries for
// about two minutes: without this bound the wait would outlive its deadline by that much.
constexpr auto kConnectAttemptTimeout = 500ms;

asio::awaitable<void> pause(std::chrono::nanoseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor, interval);
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

asio::awaitable<bool> wait_until_accepting(const topology::Endpoint& endpoint, MonoTime deadline,
                                           std::function<bool()> give_up) {
  auto executor = co_await asio::this_coro::executor;
  const asio::ip::tcp::endpoint target(asio::ip::make_address(endpoint.host),
                                       static_cast<unsigned short>(endpoint.port));
  while (mono_now() < deadline && !give_up()) {
    // Shared with the timer's handler, which may already be queued when the connect completes.
    const auto socket = std::make_shared<asio::ip::tcp::socket>(executor);
    asio::steady_timer attempt_bound(executor, kConnectAttemptTimeout);
    attempt_bound.async_wait([socket](const boost::system::error_code& e) {
      if (e) return;
      boost::system::error_code ignored;
      socket->close(ignored);
    });
    boost::system::error_code ec;
    co_await socket->async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
    attempt_bound.cancel();
    if (!ec) co_return true;
    co_await pause(kPollInterval);
  }
  co_return false;
}

asio::awaitable<ReadinessReport> wait_servers_up(const std::filesystem::path& stats_socket,
                                                 const std::set<std::string>& expected,
                                                 MonoTime deadline,
                                                 std::function<bool()> give_up) {
  ReadinessReport report;
  while (!give_up()) {
    try {
      report.servers = parse_show_stat(co_await cli_request(stats_socket, "show stat", 1000ms));
      report.error.clear();
      std::size_t up = 0;
      for (const auto& row : report.servers) {
        if (expected.count(row.key()) != 0 && row.up_and_checked()) ++up;
      }
      if (up == expected.size()) {
        report.ready = true;
        co_return report;
      }
    } catch (const std::exception& e) {
      report.error = e.what();  // not listening yet: haproxy is still starting
    }
    if (mono_now() >= deadline) break;
    co_await pause(kPollInterval);
  }
  co_return report;
}

std::string ReadinessReport::describe_not_ready(const std::set<std::string>& expected) const {
  std::map<std::string, const ServerStat*> seen;
  for (const auto& row : servers) seen[row.key()] = &row;
  std::string text;
  for (const auto& key : expected) {
    const auto it = seen.find(key);
    if (it == seen.end()) {
      text += fmt::format("\n  {}: not in haproxy's stats{}", key,
                          error.empty() ? "" : fmt::format(" ({})", error));
    } else if (!it->second->up_and_checked()) {
      const auto& row = *it->second;
      text += fmt::format("\n  {}: {} (check {}{}{})", key, row.status,
                          row.check_status.empty() ? "not run" : row.check_status,
                          row.check_desc.empty() ? "" : ": ", row.check_desc);
    }
  }
  return text;
}

}  // namespace lbchaos::observe
