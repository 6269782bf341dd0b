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
  const auto [structured_data, message] = split_syslog(datagram);
  log_ << to_ns(at) << ' ';
  if (!structured_data.empty()) log_ << structured_data << ' ';
  log_ << message << '\n' << std::flush;  // people tail it live
  if (!structured_data.empty()) {
    // A traffic log line: health changes come with no structured data.
    const auto line = keep_requests_ ? parse_request_log_line(structured_data) : std::nullopt;
    if (line) {
      requests_.push_back(RequestLogEntry{
          line->request, line->server_responded ? server_index(line->backend, line->server)
                                                : RequestLogEntry::kNoServer});
      last_request_line_at_ = at;
    }
  } else if (auto change = parse_server_state_change(message)) {
    spdlog::info("lb{}: server {}/{} is {}", instance_, change->backend, change->server,
                 change->state);
    health_events_.push_back(HealthEvent{at, instance_, std::move(*change)});
  }
  for (const auto& listener : listeners_) listener(at, message);
}

std::uint16_t SyslogReceiver::server_index(std::string_view backend, std::string_view server) {
  key_.assign(backend);
  key_ += '/';
  key_ += server;
  if (const auto it = server_indexes_.find(key_); it != server_indexes_.end()) return it->second;
  if (server_names_.size() >= RequestLogEntry::kNoServer) return RequestLogEntry::kNoServer;
  const auto index = static_cast<std::uint16_t>(server_names_.size());
  server_names_.push_back(key_);
  server_indexes_.emplace(key_, index);
  return index;
}

void SyslogReceiver::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  log_.flush();
}

}  // namespace lbchaos::observe
