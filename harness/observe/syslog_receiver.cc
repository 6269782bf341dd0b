#include "harness/observe/syslog_receiver.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace lbchaos::observe {

namespace asio = boost::asio;

SyslogReceiver::SyslogReceiver(asio::io_context& io, int instance, std::filesystem::path log_file)
    : socket_(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      instance_(instance),
      log_(log_file, std::ios::app) {
  port_ = socket_.local_endpoint().port();
  // haproxy can log every request; don't drop logs under load.
  socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20));
}

asio::awaitable<void> SyslogReceiver::run() {
  std::array<char, 16384> buffer{};
  while (socket_.is_open()) {
    boost::system::error_code ec;
    asio::ip::udp::endpoint sender;
    const std::size_t n = co_await socket_.async_receive_from(
        asio::buffer(buffer), sender, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !socket_.is_open()) break;
    if (ec) {
      spdlog::debug("syslog receiver: {}", ec.message());
      continue;
    }
    handle(std::string_view(buffer.data(), n));
  }
}

void SyslogReceiver::handle(std::string_view datagram) {
  const MonoTime at = mono_now();
  ++messages_;
  const std::string_view message = syslog_message(datagram);
  log_ << to_ns(at) << ' ' << message << '\n' << std::flush;  // people tail it live
  if (auto change = parse_server_state_change(message)) {
    spdlog::info("lb{}: server {}/{} is {}", instance_, change->backend, change->server,
                 change->state);
    health_events_.push_back(HealthEvent{at, instance_, std::move(*change)});
  }
  for (const auto& listener : listeners_) listener(at, message);
}

void SyslogReceiver::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  log_.flush();
}

}  // namespace lbchaos::observe
