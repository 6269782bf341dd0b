#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/observe/haproxy_log.h"

namespace lbchaos::observe {

// A server health change as haproxy logged it, stamped on the harness clock when received.
struct HealthEvent {
  MonoTime at;
  int instance = 0;
  ServerStateChange change;
};

// A traffic log line that carried the generator's request id (harness/common/request_id.h).
struct RequestLogEntry {
  static constexpr std::uint16_t kNoServer = 0xffff;

  std::uint32_t request = 0;
  // Index in SyslogReceiver::server_names() of the server that answered; kNoServer when haproxy
  // made the response itself.
  std::uint16_t server = kNoServer;
};

// Receives one haproxy instance's logs (UDP syslog on a loopback port), stamps every message
// on the harness's monotonic clock, writes them to a log file in the run directory and keeps
// the server state changes for probes and the journal, and which server served each request
// of the traffic generator. UDP can drop datagrams under load: a request may have no line.
class SyslogReceiver {
 public:
  using Listener = std::function<void(MonoTime, std::string_view message)>;

  SyslogReceiver(boost::asio::io_context& io, int instance, std::filesystem::path log_file);

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::vector<HealthEvent>& health_events() const { return health_events_; }
  [[nodiscard]] std::size_t messages_received() const { return messages_; }
  // In arrival order; grows while receiving.
  [[nodiscard]] const std::vector<RequestLogEntry>& request_lines() const { return requests_; }
  [[nodiscard]] const std::string& server_name(std::uint16_t index) const {
    return server_names_.at(index);
  }
  // Off: request lines are only written to the log file (`lbchaos up`, which may run for hours
  // with nothing reading them). On by default.
  void keep_request_lines(bool keep) { keep_requests_ = keep; }
  // When the last request line arrived (MonoTime{} before the first).
  [[nodiscard]] MonoTime last_request_line_at() const { return last_request_line_at_; }
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

  // Receives until close() is called.
  boost::asio::awaitable<void> run();
  void close();

 private:
  void handle(std::string_view datagram);
  std::uint16_t server_index(std::string_view backend, std::string_view server);

  boost::asio::ip::udp::socket socket_;
  int instance_;
  int port_ = 0;
  std::ofstream log_;
  std::vector<HealthEvent> health_events_;
  std::vector<Listener> listeners_;
  std::size_t messages_ = 0;
  std::vector<RequestLogEntry> requests_;
  std::deque<std::string> server_names_;
  std::map<std::string, std::uint16_t, std::less<>> server_indexes_;
  std::string key_;  // reused: "backend/server" of the line being handled
  MonoTime last_request_line_at_{};
  bool keep_requests_ = true;
};

}  // namespace lbchaos::observe
